//! The synthetic people: who they are and what each of them sends, in order.
//!
//! Everything is drawn from a seeded generator, so two runs (and the eudesk and echo
//! runs of one benchmark) send exactly the same updates.

use eudesk::dialogue::Tree;

/// One thing a person does.
#[derive(Clone, Debug)]
pub enum Step {
    /// A typed message (commands included).
    Text(String),
    /// A button press: the callback data.
    Press(String),
}

/// One person's whole conversation.
#[derive(Clone, Debug)]
pub struct Script {
    /// The Telegram `language_code` of the person.
    pub lang: &'static str,
    pub steps: Vec<Step>,
}

/// A small, fast, deterministic generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What the scripts are made of, taken from the shipped dialogues.
pub struct Material {
    /// Every node id with its children, for walking the menus as people do.
    children: std::collections::HashMap<String, Vec<String>>,
    questions_tr: Vec<String>,
    questions_en: Vec<String>,
    sessions: Vec<i64>,
}

/// Questions the dialogues do not answer (they lead to "ask staff").
const OFF_TOPIC_TR: &[&str] = &[
    "binaya araçla gelirsem otopark var mı",
    "pasaport başvurusu nereden yapılır",
    "valilik kaçta kapanıyor cumartesi",
    "hibe parası hesaba ne zaman yatar bizim proje için",
    "dernek kuruluşu icin hangi belgeler lazim",
];
const OFF_TOPIC_EN: &[&str] = &[
    "is there parking near the governorship",
    "how do I renew my residence permit",
    "can you translate my project document",
];
/// How people phrase things that are not in the `ask` lists.
const EXTRA_TR: &[&str] = &[
    "erasmusa nasil basvururum",
    "mantiksal cerceve matrisi nedir",
    "logframe'i nasil hazirlarim",
    "gonullu olmak istiyorum yurtdisinda",
    "KA2 ortaklık başvurusu ne zaman",
    "bütçe hazırlarken eş finansman",
    "discover eu tren bileti",
    "proje ortağı nasıl bulurum",
    "pcm eğitimine kayıt olmak istiyorum",
    "merhaba",
];
const EXTRA_EN: &[&str] = &[
    "how do I find partners for my project",
    "what is the european solidarity corps",
    "horizon europe national contact point",
    "how to write a logframe",
    "hello",
];
const NAMES: &[&str] = &[
    "Ayşe Yılmaz",
    "Mehmet Demir",
    "Zeynep Kaya",
    "Mustafa Çelik",
    "Elif Şahin",
    "Ahmet Öztürk",
    "Fatma Arslan",
    "Emre Doğan",
    "John Smith",
    "Maria Rossi",
];
const ORGANISATIONS: &[&str] = &[
    "İzmir Gençlik Derneği",
    "Karşıyaka Belediyesi",
    "Ege Üniversitesi",
    "Bornova Anadolu Lisesi",
    "Çevre Gönüllüleri Derneği",
    "Kadın Kooperatifi",
];
const MISC: &[&str] = &["/help", "/menu", "/trainings", "/mytickets", "/myregistrations"];

impl Material {
    pub fn new(tree: &Tree, sessions: Vec<i64>) -> Material {
        let mut children = std::collections::HashMap::new();
        let mut questions_tr: Vec<String> = EXTRA_TR.iter().map(|s| s.to_string()).collect();
        let mut questions_en: Vec<String> = EXTRA_EN.iter().map(|s| s.to_string()).collect();
        for node in tree.nodes() {
            children.insert(
                node.id.as_str().to_owned(),
                node.children.iter().map(|c| c.as_str().to_owned()).collect::<Vec<_>>(),
            );
            if node.matchable {
                questions_tr.extend(node.ask.tr.iter().cloned());
                questions_en.extend(node.ask.en.iter().cloned());
            }
        }
        Material {
            children,
            questions_tr,
            questions_en,
            sessions,
        }
    }

    pub fn nodes(&self) -> usize {
        self.children.len()
    }

    pub fn questions(&self) -> usize {
        self.questions_tr.len() + self.questions_en.len()
    }

    fn question(&self, rng: &mut Rng, lang: &str) -> String {
        let (known, off) = if lang == "tr" {
            (&self.questions_tr, OFF_TOPIC_TR)
        } else {
            (&self.questions_en, OFF_TOPIC_EN)
        };
        let q = if rng.chance(0.15) {
            rng.pick(off).to_string()
        } else {
            rng.pick(known).clone()
        };
        typo(&q, rng)
    }

    /// Menu presses down from the main menu, as a person browsing does.
    fn browse(&self, rng: &mut Rng, out: &mut Vec<Step>) {
        let depth = 2 + rng.below(3);
        let mut at = "main".to_owned();
        for _ in 0..depth {
            let next = match self.children.get(&at) {
                Some(c) if !c.is_empty() => rng.pick(c).clone(),
                // A leaf: back to the main menu, and on from there.
                _ => "main".to_owned(),
            };
            out.push(Step::Press(format!("n:{next}")));
            at = next;
        }
    }

    fn booking(&self, rng: &mut Rng, person: usize, out: &mut Vec<Step>) {
        let name = *rng.pick(NAMES);
        out.push(Step::Press(format!(
            "s:{}",
            self.sessions[person % self.sessions.len()]
        )));
        out.push(Step::Text(name.to_owned()));
        out.push(Step::Press("f:org:ngo".into()));
        out.push(Step::Text(rng.pick(ORGANISATIONS).to_string()));
        out.push(Step::Text(format!("kisi{person}@example.org")));
        out.push(Step::Press("f:skip".into()));
        out.push(Step::Press("f:yes".into()));
        out.push(Step::Press("f:confirm".into()));
    }
}

/// A person's typing: Turkish letters left out, two letters swapped, one dropped or
/// doubled, or nothing wrong at all.
pub fn typo(text: &str, rng: &mut Rng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if rng.chance(0.4) {
        for c in chars.iter_mut() {
            *c = match *c {
                'ç' => 'c',
                'ğ' => 'g',
                'ı' => 'i',
                'ö' => 'o',
                'ş' => 's',
                'ü' => 'u',
                'İ' => 'I',
                other => other,
            };
        }
    }
    let n = chars.len();
    if n > 4 {
        let i = 1 + rng.below(n - 2);
        match rng.below(5) {
            0 if chars[i].is_alphabetic() && chars[i + 1].is_alphabetic() => chars.swap(i, i + 1),
            1 if chars[i].is_alphabetic() => {
                chars.remove(i);
            }
            2 if chars[i].is_alphabetic() => chars.insert(i, chars[i]),
            _ => {}
        }
    }
    let s: String = chars.into_iter().collect();
    if rng.chance(0.3) { s.to_lowercase() } else { s }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Journey {
    Browse,
    Question,
    Booking,
    Ticket,
    Misc,
}

/// Scripts for `people` people making `updates` updates in all (fewer people if there
/// are fewer updates than people): everyone sends /start, then journeys are dealt
/// round-robin (browse 35 %, questions 30 %, booking 15 %, ticket 10 %, other
/// commands 10 %), a booking at most once per person. No script is longer than
/// `max_len` unless there are too few people for the updates.
pub fn scripts(material: &Material, seed: u64, people: usize, updates: usize, max_len: usize) -> Vec<Script> {
    let mut rng = Rng::new(seed);
    let people = people.min(updates).max(1);
    let mut scripts: Vec<Script> = (0..people)
        .map(|_| Script {
            lang: if rng.chance(0.75) { "tr" } else { "en" },
            steps: Vec::new(),
        })
        .collect();
    let mut booked = vec![false; people];
    let mut tickets = vec![0u8; people];
    let mut total = 0;
    let mut round = 0;
    while total < updates {
        let mut grew = false;
        for p in 0..people {
            if total >= updates {
                break;
            }
            if round > 0 && scripts[p].steps.len() >= max_len && updates - total > people {
                continue;
            }
            let mut steps = Vec::new();
            if round == 0 {
                // Everyone comes in with /start first, so that all of them are seen.
                scripts[p].steps.push(Step::Text("/start".into()));
                total += 1;
                grew = true;
                continue;
            }
            let lang = scripts[p].lang;
            let mut journey = match rng.below(100) {
                0..35 => Journey::Browse,
                35..65 => Journey::Question,
                65..80 => Journey::Booking,
                80..90 => Journey::Ticket,
                _ => Journey::Misc,
            };
            if (journey == Journey::Booking && booked[p]) || (journey == Journey::Ticket && tickets[p] >= 2) {
                journey = Journey::Question;
            }
            match journey {
                Journey::Browse => material.browse(&mut rng, &mut steps),
                Journey::Question => {
                    for _ in 0..1 + rng.below(3) {
                        steps.push(Step::Text(material.question(&mut rng, lang)));
                    }
                }
                Journey::Booking => {
                    booked[p] = true;
                    material.booking(&mut rng, p, &mut steps);
                }
                Journey::Ticket => {
                    tickets[p] += 1;
                    let q = material.question(&mut rng, lang);
                    steps.push(Step::Text(format!("/ask {q}")));
                    steps.push(Step::Press("f:send".into()));
                }
                Journey::Misc => steps.push(Step::Text(rng.pick(MISC).to_string())),
            }
            steps.truncate(updates - total);
            total += steps.len();
            grew |= !steps.is_empty();
            scripts[p].steps.extend(steps);
        }
        round += 1;
        if !grew {
            break;
        }
    }
    scripts
}

/// `n` people who each send /start and nothing else.
pub fn crowd(n: usize, seed: u64) -> Vec<Script> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| Script {
            lang: if rng.chance(0.75) { "tr" } else { "en" },
            steps: vec![Step::Text("/start".into())],
        })
        .collect()
}

/// How many updates of each kind the scripts hold, for the report.
pub fn mix(scripts: &[Script]) -> String {
    let (mut start, mut press, mut command, mut text) = (0, 0, 0, 0);
    for s in scripts {
        for step in &s.steps {
            match step {
                Step::Text(t) if t == "/start" => start += 1,
                Step::Text(t) if t.starts_with('/') => command += 1,
                Step::Text(_) => text += 1,
                Step::Press(_) => press += 1,
            }
        }
    }
    format!("/start {start}, other commands {command}, typed text {text}, button presses {press}")
}
