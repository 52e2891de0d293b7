//! Turns written together (storage::turns): each still all or nothing, each answered
//! with its own outcome, against a real SQLite file.

use crate::helpers::Sandbox;
use eudesk::ids::ChatId;
use eudesk::lang::Lang;
use eudesk::message::{OutMessage, Recipient};
use eudesk::storage::Store;
use eudesk::storage::conversations::Conversation;
use eudesk::storage::questions::Logged;
use eudesk::storage::turns::Turn;

fn turn(user: i64, node: &str) -> Turn {
    Turn {
        replies: vec![
            OutMessage::new(Recipient::Chat(ChatId(user)), format!("first to {user}")),
            OutMessage::new(Recipient::Chat(ChatId(user)), format!("second to {user}")),
        ],
        conversation: Some(Conversation {
            user,
            lang: Some(Lang::En),
            node: node.to_owned(),
            flow: None,
            last_question: None,
            last_update: None,
        }),
        questions: vec![Logged {
            at: jiff::Timestamp::now(),
            user,
            lang: Lang::En,
            text: format!("question of {user}"),
            normalized: format!("question of {user}"),
            decision: "answer".into(),
            top: Some(("main".into(), 0.9)),
        }],
        now: jiff::Timestamp::now(),
    }
}

async fn count(store: &Store, sql: &str) -> i64 {
    let sql = sql.to_owned();
    store
        .read(async |c| Ok(sqlx::query_scalar::<_, i64>(&sql).fetch_one(c).await.unwrap()))
        .await
        .unwrap()
}

#[tokio::test]
async fn many_turns_at_once_are_all_written_with_their_replies_in_order() {
    let dir = Sandbox::new();
    let store = Store::open(&dir.database_url()).await.unwrap();
    let mut saving = tokio::task::JoinSet::new();
    for user in 1..=200 {
        let store = store.clone();
        saving.spawn(async move { store.save_turn(turn(user, "main")).await });
    }
    while let Some(saved) = saving.join_next().await {
        saved.unwrap().expect("every turn is written");
    }
    assert_eq!(count(&store, "SELECT COUNT(*) FROM conversations").await, 200);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM questions").await, 200);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'").await,
        400
    );
    // Each person's two replies in the order the turn gave them.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM outbox a JOIN outbox b ON a.chat_id = b.chat_id
             WHERE a.html LIKE 'first%' AND b.html LIKE 'second%' AND a.id < b.id"
        )
        .await,
        200
    );
}

#[tokio::test]
async fn a_turn_the_database_refuses_fails_alone_and_leaves_nothing() {
    let dir = Sandbox::new();
    let store = Store::open(&dir.database_url()).await.unwrap();
    store
        .read(async |c| {
            sqlx::query(
                "CREATE TRIGGER poison BEFORE INSERT ON conversations WHEN NEW.node = 'poison'
                 BEGIN SELECT RAISE(ABORT, 'refused'); END",
            )
            .execute(c)
            .await
            .unwrap();
            Ok(())
        })
        .await
        .unwrap();
    let mut saving = tokio::task::JoinSet::new();
    for user in 1..=60 {
        let store = store.clone();
        let node = if user == 30 { "poison" } else { "main" };
        saving.spawn(async move { (user, store.save_turn(turn(user, node)).await) });
    }
    while let Some(saved) = saving.join_next().await {
        let (user, result) = saved.unwrap();
        assert_eq!(result.is_err(), user == 30, "user {user}: {result:?}");
    }
    assert_eq!(count(&store, "SELECT COUNT(*) FROM conversations").await, 59);
    assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox WHERE chat_id = 30").await, 0);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM questions WHERE user_id = 30").await,
        0
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM outbox").await, 118);
}
