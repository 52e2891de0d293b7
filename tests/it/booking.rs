//! Training booking in the conversation core over a real SQLite file: seats never
//! oversold under concurrency, the waitlist, deadlines, restarts mid-booking.

use crate::helpers::{Sandbox, person, press, text};
use eudesk::clock::ManualClock;
use eudesk::engine::{Engine, Event, Reply};
use eudesk::lang::{Lang, Localized};
use eudesk::storage::Conversation;
use eudesk::trainings::{SessionDetails, SessionId, Status, time::parse_local};
use std::sync::Arc;

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new("2026-12-01T09:00:00Z".parse().unwrap()))
}

async fn session(engine: &Engine, capacity: u32) -> SessionId {
    let starts = parse_local("2026-12-10 10:00").unwrap();
    engine
        .store()
        .create_session(
            &SessionDetails {
                title: Localized::new("PCM Temel Eğitimi".to_owned(), "PCM Basics".to_owned()),
                starts,
                ends: parse_local("2026-12-10 17:00").unwrap(),
                place: "İzmir Valiliği".to_owned(),
                capacity,
                deadline: parse_local("2026-12-08 17:00").unwrap(),
                second_reminder: None,
            }
            .check()
            .unwrap(),
        )
        .await
        .unwrap()
}

fn all_text(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.html.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// Walks a person through every step up to the summary.
async fn to_summary(engine: &Engine, user: i64, s: SessionId) {
    let p = person(user, Lang::Tr);
    for event in [
        press(&format!("s:{}", s.0)),
        text("Ayşe Yılmaz"),
        press("f:org:ngo"),
        text("Genç İzmir Derneği"),
        text(&format!("kisi{user}@example.org")),
        press("f:skip"),
        press("f:yes"),
    ] {
        engine.handle(p, event).await.unwrap();
    }
}

async fn confirm(engine: &Engine, user: i64) -> String {
    all_text(&engine.handle(person(user, Lang::Tr), press("f:confirm")).await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_confirmations_fill_ten_seats_exactly_and_queue_the_rest_in_order() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine_with(clock(), vec![]).await;
    let s = session(&engine, 10).await;
    for user in 1..=50 {
        to_summary(&engine, user, s).await;
    }
    let tasks: Vec<_> = (1..=50)
        .map(|user| {
            let engine = engine.clone();
            tokio::spawn(async move { confirm(&engine, user).await })
        })
        .collect();
    for task in tasks {
        let reply = task.await.expect("no task panicked");
        assert!(
            reply.contains("koltuk") || reply.contains("sıranız"),
            "every person is told where they stand: {reply}"
        );
    }
    let registrations = engine.store().registrations(s).await.unwrap();
    assert_eq!(registrations.len(), 50);
    let confirmed: Vec<u32> = registrations
        .iter()
        .filter(|r| r.status == Status::Confirmed)
        .map(|r| r.position)
        .collect();
    let waitlisted: Vec<u32> = registrations
        .iter()
        .filter(|r| r.status == Status::Waitlisted)
        .map(|r| r.position)
        .collect();
    assert_eq!(confirmed, (1..=10).collect::<Vec<_>>());
    assert_eq!(
        waitlisted,
        (1..=40).collect::<Vec<_>>(),
        "the waitlist is in order of arrival, without gaps"
    );
    let mut users: Vec<i64> = registrations.iter().map(|r| r.user.0).collect();
    users.sort();
    users.dedup();
    assert_eq!(users.len(), 50, "one registration each");
}

#[tokio::test]
async fn closed_cancelled_past_and_late_sessions_are_not_offered() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = sandbox.engine_with(clock.clone(), vec![]).await;
    let open = session(&engine, 5).await;
    let closed = session(&engine, 5).await;
    crate::helpers::set_open(engine.store(), closed, false).await;
    let cancelled = session(&engine, 5).await;
    crate::helpers::cancel_session(engine.store(), cancelled, engine.now()).await;
    let list = all_text(&engine.handle(person(1, Lang::En), text("/trainings")).await.unwrap());
    assert_eq!(list.matches("PCM Basics").count(), 1, "only the open session: {list}");
    for s in [closed, cancelled, SessionId(999)] {
        let reply = all_text(
            &engine
                .handle(person(1, Lang::En), press(&format!("s:{}", s.0)))
                .await
                .unwrap(),
        );
        assert!(reply.contains("not open for booking"), "{reply}");
    }
    clock.set("2026-12-09T09:00:00Z".parse().unwrap()); // past the deadline
    let list = all_text(&engine.handle(person(1, Lang::En), text("/trainings")).await.unwrap());
    assert!(list.contains("No PCM training is open"), "{list}");
    let reply = all_text(
        &engine
            .handle(person(1, Lang::En), press(&format!("s:{}", open.0)))
            .await
            .unwrap(),
    );
    assert!(reply.contains("not open for booking"), "{reply}");
}

#[tokio::test]
async fn a_booking_finished_after_the_deadline_is_refused_and_stores_nothing() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = sandbox.engine_with(clock.clone(), vec![]).await;
    let s = session(&engine, 5).await;
    to_summary(&engine, 1, s).await;
    clock.set("2026-12-09T09:00:00Z".parse().unwrap());
    let reply = confirm(&engine, 1).await;
    assert!(reply.contains("kaydı siz bilgileri girerken kapandı"), "{reply}");
    assert!(engine.store().registrations(s).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_person_already_registered_sees_their_registration_instead_of_a_second_one() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine_with(clock(), vec![]).await;
    let s = session(&engine, 5).await;
    to_summary(&engine, 1, s).await;
    confirm(&engine, 1).await;
    let again = all_text(
        &engine
            .handle(person(1, Lang::Tr), press(&format!("s:{}", s.0)))
            .await
            .unwrap(),
    );
    assert!(
        again.contains("zaten kaydınız var") && again.contains("koltuk 1 / 5"),
        "{again}"
    );
    assert_eq!(engine.store().registrations(s).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_cancelled_seat_goes_to_the_first_waiting_person_never_back_to_one_who_cancelled() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine_with(clock(), vec![]).await;
    let s = session(&engine, 1).await;
    for user in [1, 2, 3] {
        to_summary(&engine, user, s).await;
        confirm(&engine, user).await;
    }
    let id_of = |regs: &[eudesk::trainings::Registration], user: i64| {
        regs.iter()
            .find(|r| r.user == eudesk::ids::UserId(user) && r.status != Status::Cancelled)
            .unwrap()
            .id
    };
    let regs = engine.store().registrations(s).await.unwrap();
    // The first on the waitlist gives up; then the confirmed person cancels.
    engine
        .handle(person(2, Lang::Tr), press(&format!("rc:{}", id_of(&regs, 2).0)))
        .await
        .unwrap();
    engine
        .handle(person(1, Lang::Tr), press(&format!("rc:{}", id_of(&regs, 1).0)))
        .await
        .unwrap();
    let regs = engine.store().registrations(s).await.unwrap();
    let status = |user: i64| {
        regs.iter()
            .filter(|r| r.user == eudesk::ids::UserId(user))
            .map(|r| r.status)
            .collect::<Vec<_>>()
    };
    assert_eq!(status(1), [Status::Cancelled]);
    assert_eq!(
        status(2),
        [Status::Cancelled],
        "who cancelled is never re-offered the seat"
    );
    assert_eq!(status(3), [Status::Confirmed]);
    let owed = engine
        .store()
        .due_messages("2030-01-01T00:00:00Z".parse().unwrap(), 10)
        .await
        .unwrap();
    assert_eq!(
        owed.len(),
        2,
        "the promoted person is told, then sent the calendar file: {owed:?}"
    );
    assert_eq!(
        owed[0].message.to,
        eudesk::message::Recipient::Chat(eudesk::ids::ChatId(3))
    );
    assert!(owed[0].message.html.contains("Yer açıldı"));
    assert_eq!(
        owed[1].message.to,
        eudesk::message::Recipient::Chat(eudesk::ids::ChatId(3))
    );
    assert!(
        owed[1]
            .message
            .document
            .as_ref()
            .is_some_and(|d| d.name.ends_with(".ics"))
    );
}

#[tokio::test]
async fn nobody_is_promoted_after_the_deadline() {
    let sandbox = Sandbox::new();
    let clock = clock();
    let engine = sandbox.engine_with(clock.clone(), vec![]).await;
    let s = session(&engine, 1).await;
    for user in [1, 2] {
        to_summary(&engine, user, s).await;
        confirm(&engine, user).await;
    }
    clock.set("2026-12-09T09:00:00Z".parse().unwrap());
    let regs = engine.store().registrations(s).await.unwrap();
    engine
        .handle(person(1, Lang::Tr), press(&format!("rc:{}", regs[0].id.0)))
        .await
        .unwrap();
    let regs = engine.store().registrations(s).await.unwrap();
    assert_eq!(regs[1].status, Status::Waitlisted);
    assert!(
        engine
            .store()
            .due_messages("2030-01-01T00:00:00Z".parse().unwrap(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn nobody_can_cancel_another_persons_registration() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine_with(clock(), vec![]).await;
    let s = session(&engine, 5).await;
    to_summary(&engine, 1, s).await;
    confirm(&engine, 1).await;
    let id = engine.store().registrations(s).await.unwrap()[0].id;
    for data in [format!("r:{}", id.0), format!("rc:{}", id.0)] {
        let reply = all_text(&engine.handle(person(2, Lang::En), press(&data)).await.unwrap());
        assert!(reply.contains("cannot be found"), "{reply}");
    }
    assert_eq!(
        engine.store().registrations(s).await.unwrap()[0].status,
        Status::Confirmed
    );
}

#[tokio::test]
async fn a_half_finished_booking_survives_a_restart_at_the_same_step() {
    let sandbox = Sandbox::new();
    let s;
    {
        let engine = sandbox.engine_with(clock(), vec![]).await;
        s = session(&engine, 5).await;
        let p = person(1, Lang::En);
        for event in [
            press(&format!("s:{}", s.0)),
            text("Ayşe Yılmaz"),
            press("f:org:university"),
        ] {
            engine.handle(p, event).await.unwrap();
        }
        engine.store().close().await;
    }
    let engine = sandbox.engine_with(clock(), vec![]).await;
    let p = person(1, Lang::En);
    let resumed = all_text(&engine.handle(p, Event::Resume).await.unwrap());
    assert!(resumed.contains("Step 3 of 6"), "{resumed}");
    let next = all_text(&engine.handle(p, text("Ege Üniversitesi")).await.unwrap());
    assert!(next.contains("Step 4 of 6"), "{next}");
    for event in [text("ayse@ege.edu.tr"), text("+90 232 311 10 10"), press("f:yes")] {
        engine.handle(p, event).await.unwrap();
    }
    let summary = all_text(&engine.handle(p, Event::Resume).await.unwrap());
    assert!(
        summary.contains("Ayşe Yılmaz") && summary.contains("Ege Üniversitesi") && summary.contains("+902323111010"),
        "{summary}"
    );
}

#[tokio::test]
async fn editing_an_answer_from_the_summary_returns_to_the_summary() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine_with(clock(), vec![]).await;
    let s = session(&engine, 5).await;
    to_summary(&engine, 1, s).await;
    let p = person(1, Lang::En);
    engine.handle(p, press("f:edit")).await.unwrap();
    let ask = all_text(&engine.handle(p, press("f:edit:email")).await.unwrap());
    assert!(ask.contains("e-mail"), "{ask}");
    let summary = all_text(&engine.handle(p, text("yeni@example.org")).await.unwrap());
    assert!(
        summary.contains("Please check your details") && summary.contains("yeni@example.org"),
        "{summary}"
    );
}

#[tokio::test]
async fn state_saved_by_an_older_release_resets_with_a_short_notice() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine_with(clock(), vec![]).await;
    let old = Conversation {
        user: 1,
        lang: Some(Lang::En),
        node: "pcm".to_owned(),
        flow: Some(r#"{"kind":"survey","question":4}"#.to_owned()),
        last_question: None,
        last_update: None,
    };
    engine
        .store()
        .write(async |c| eudesk::storage::conversations::save(c, &old).await)
        .await
        .unwrap();
    let reply = all_text(
        &engine
            .handle(person(1, Lang::En), text("what is a logframe"))
            .await
            .unwrap(),
    );
    assert!(reply.contains("The bot was updated"), "{reply}");
    assert!(
        reply.contains("logical framework"),
        "and the question is still answered: {reply}"
    );
    assert_eq!(engine.store().conversation(1).await.unwrap().unwrap().flow, None);
}

#[tokio::test]
async fn a_press_from_a_finished_booking_leads_to_the_list() {
    let sandbox = Sandbox::new();
    let engine = sandbox.engine_with(clock(), vec![]).await;
    session(&engine, 5).await;
    let reply = all_text(&engine.handle(person(1, Lang::En), press("f:confirm")).await.unwrap());
    assert!(
        reply.contains("no longer in progress") && reply.contains("PCM Basics"),
        "{reply}"
    );
}
