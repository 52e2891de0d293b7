//! The feedback survey's results for a session: per rating question the number of
//! answers, the average and how many gave each mark; the comments as written. The
//! questions come from `dialogues/` (`[survey]`); answers to questions no longer in it
//! are still counted under their id.

use crate::dialogue::{Survey, SurveyKind};
use crate::lang::{Lang, pick};
use crate::render::RenderError;
use crate::render::xlsx::{Cell, Sheet, workbook};
use crate::storage::surveys::Answer;

/// One rating question's results.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Rating {
    pub id: String,
    pub text: String,
    pub answers: u32,
    pub average: Option<f64>,
    /// How many gave 1, 2, 3, 4, 5.
    pub marks: [u32; 5],
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Report {
    pub responses: u32,
    pub ratings: Vec<Rating>,
    /// (question text, comment), in order of submission.
    pub comments: Vec<(String, String)>,
}

/// The results of `answers` (response id, version, question id, answer), with the
/// questions' words from `survey` in `lang`.
pub fn report(survey: Option<&Survey>, answers: &[(i64, String, String, Answer)], lang: Lang) -> Report {
    let text_of = |id: &str| {
        survey
            .and_then(|s| s.questions.iter().find(|q| q.id == id))
            .map_or_else(|| id.to_owned(), |q| q.text.get(lang).clone())
    };
    let mut responses: Vec<i64> = answers.iter().map(|(r, ..)| *r).collect();
    responses.dedup();
    // The survey's own order first, then any question it no longer has.
    let mut order: Vec<String> = survey
        .map(|s| {
            s.questions
                .iter()
                .filter(|q| matches!(q.kind, SurveyKind::Rating))
                .map(|q| q.id.clone())
                .collect()
        })
        .unwrap_or_default();
    for (_, _, id, answer) in answers {
        if matches!(answer, Answer::Rating(_)) && !order.contains(id) {
            order.push(id.clone());
        }
    }
    let ratings = order
        .iter()
        .map(|id| {
            let mut marks = [0u32; 5];
            for (_, _, q, answer) in answers {
                if let (true, Answer::Rating(r)) = (q == id, answer) {
                    marks[(*r).clamp(1, 5) as usize - 1] += 1;
                }
            }
            let n: u32 = marks.iter().sum();
            let total: u32 = marks.iter().enumerate().map(|(i, m)| (i as u32 + 1) * m).sum();
            Rating {
                id: id.clone(),
                text: text_of(id),
                answers: n,
                average: (n > 0).then(|| total as f64 / n as f64),
                marks,
            }
        })
        .collect();
    let comments = answers
        .iter()
        .filter_map(|(_, _, q, a)| match a {
            Answer::Text(t) if !t.trim().is_empty() => Some((text_of(q), t.clone())),
            _ => None,
        })
        .collect();
    Report {
        responses: responses.len() as u32,
        ratings,
        comments,
    }
}

/// The results as a workbook: the ratings on one sheet, the comments on another.
pub fn xlsx(report: &Report, lang: Lang) -> Result<Vec<u8>, RenderError> {
    let ratings = Sheet {
        name: pick(lang, "Puanlar", "Ratings").to_owned(),
        headers: [
            pick(lang, "Soru", "Question"),
            pick(lang, "Yanıt", "Answers"),
            pick(lang, "Ortalama", "Average"),
            "1",
            "2",
            "3",
            "4",
            "5",
        ]
        .iter()
        .map(|h| (*h).to_owned())
        .collect(),
        rows: report
            .ratings
            .iter()
            .map(|r| {
                let mut row = vec![
                    Cell::Text(r.text.clone()),
                    Cell::Int(r.answers as i64),
                    r.average
                        .map_or(Cell::Empty, |a| Cell::Number((a * 100.0).round() / 100.0)),
                ];
                row.extend(r.marks.iter().map(|m| Cell::Int(*m as i64)));
                row
            })
            .collect(),
    };
    let comments = Sheet {
        name: pick(lang, "Yorumlar", "Comments").to_owned(),
        headers: vec![
            pick(lang, "Soru", "Question").to_owned(),
            pick(lang, "Yorum", "Comment").to_owned(),
        ],
        rows: report
            .comments
            .iter()
            .map(|(q, c)| vec![Cell::Text(q.clone()), Cell::Text(c.clone())])
            .collect(),
    };
    workbook(&[ratings, comments])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_counted_and_averaged_and_comments_kept() {
        let a = |r: i64, q: &str, answer: Answer| (r, "v1".to_owned(), q.to_owned(), answer);
        let answers = vec![
            a(1, "overall", Answer::Rating(5)),
            a(1, "comment", Answer::Text("Çok iyiydi".into())),
            a(2, "overall", Answer::Rating(3)),
            a(2, "comment", Answer::Text("  ".into())),
            a(3, "old_question", Answer::Rating(4)),
        ];
        let r = report(None, &answers, Lang::Tr);
        assert_eq!(r.responses, 3);
        assert_eq!(r.ratings[0].id, "overall");
        assert_eq!(r.ratings[0].answers, 2);
        assert_eq!(r.ratings[0].average, Some(4.0));
        assert_eq!(r.ratings[0].marks, [0, 0, 1, 0, 1]);
        assert_eq!(r.ratings[1].id, "old_question");
        assert_eq!(r.comments, [("comment".to_owned(), "Çok iyiydi".to_owned())]);
    }
}
