//! Web addresses known to be retired. A node's `sources` (or a link) on one of them still
//! loads, but `eudesk check` warns: the next reviewer cannot re-check a fact against a page
//! that is gone, and a person pressing the link lands on an error page.
//!
//! Keep the list short and sure: add an address only once its pages have moved for good,
//! with a comment saying when and where they went.

/// An address prefix whose pages are gone, and where their content lives now.
pub struct Retired {
    /// Host and path, without `https://` or `www.`, ending with `/`.
    pub prefix: &'static str,
    /// Why the address is retired, in a few words for the warning.
    pub why: &'static str,
    /// Where to point the source instead.
    pub instead: &'static str,
}

pub const RETIRED: &[Retired] = &[
    // DG Development and Cooperation – EuropeAid (DEVCO) became DG International
    // Partnerships (INTPA) on 16 January 2021; its pages moved to
    // international-partnerships.ec.europa.eu and the old EuropeAid pages (the PCM
    // "project approach" page among them) no longer exist.
    Retired {
        prefix: "ec.europa.eu/europeaid/",
        why: "DG DEVCO/EuropeAid became DG INTPA in 2021",
        instead: "international-partnerships.ec.europa.eu, or a stable copy of the document",
    },
    // The Erasmus+ website moved to erasmus-plus.ec.europa.eu with the 2021-2027
    // programme; the old addresses hold the 2014-2020 Programme Guide.
    Retired {
        prefix: "ec.europa.eu/programmes/erasmus-plus/",
        why: "the Erasmus+ site moved to erasmus-plus.ec.europa.eu in 2021",
        instead: "the same page under https://erasmus-plus.ec.europa.eu/programme-guide/...",
    },
];

/// The retired prefix `url` is on, if any. The scheme, a leading `www.` and letter case
/// do not matter.
pub fn retired(url: &str) -> Option<&'static Retired> {
    let lower = url.trim().to_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or(&lower);
    let rest = rest.strip_prefix("www.").unwrap_or(rest);
    RETIRED
        .iter()
        .find(|r| rest.starts_with(r.prefix) || rest == r.prefix.trim_end_matches('/'))
}

/// The warning for a source or link on a retired address, in the `check` style: what is
/// wrong, then how to fix it.
pub fn warning(what: &str, url: &str, r: &Retired) -> String {
    format!(
        "{what} \"{url}\" is on a retired address ({}: {}); cite the page's current home instead: {}",
        r.prefix, r.why, r.instead
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retired_prefixes_match_whatever_the_scheme_www_or_case() {
        for url in [
            "https://ec.europa.eu/europeaid/how/delivering-aid/project-approach/index_en.htm",
            "http://www.ec.europa.eu/europeaid/",
            "HTTPS://EC.EUROPA.EU/programmes/erasmus-plus/programme-guide/part-b_en",
            "https://ec.europa.eu/programmes/erasmus-plus",
        ] {
            assert!(retired(url).is_some(), "{url}");
        }
    }

    #[test]
    fn current_addresses_and_look_alikes_are_not_retired() {
        for url in [
            "https://erasmus-plus.ec.europa.eu/programme-guide/part-b/key-action-2/cooperation-partnerships",
            "https://international-partnerships.ec.europa.eu/index_en",
            "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/home",
            "https://ec.europa.eu/europeaidx/",
            "https://example.org/ec.europa.eu/europeaid/",
        ] {
            assert!(retired(url).is_none(), "{url}");
        }
    }
}
