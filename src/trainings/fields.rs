//! What a person gives when booking, each parsed once into a type that can only hold a
//! valid value.

use crate::lang::Lang;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Why a value was refused, in words for the person who typed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldError {
    TooShort,
    TooLong,
    Link,
    ControlCharacter,
    Email,
    Phone,
}

impl FieldError {
    pub fn explain(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (FieldError::TooShort, Lang::Tr) => "Bu çok kısa; en az 2 karakter yazın.",
            (FieldError::TooShort, Lang::En) => "That is too short; please write at least 2 characters.",
            (FieldError::TooLong, Lang::Tr) => "Bu çok uzun; en fazla 100 karakter yazın.",
            (FieldError::TooLong, Lang::En) => "That is too long; please keep it to 100 characters.",
            (FieldError::Link, Lang::Tr) => "Burada bağlantı (link) kullanılamaz; yalnızca adı yazın.",
            (FieldError::Link, Lang::En) => "Links are not accepted here; please write the name only.",
            (FieldError::ControlCharacter, Lang::Tr) => "Bu metinde geçersiz karakterler var; lütfen düz metin yazın.",
            (FieldError::ControlCharacter, Lang::En) => {
                "That text contains invalid characters; please type plain text."
            }
            (FieldError::Email, Lang::Tr) => {
                "Bu geçerli bir e-posta adresine benzemiyor (örnek: ad.soyad@kurum.gov.tr). Lütfen tekrar yazın."
            }
            (FieldError::Email, Lang::En) => {
                "That does not look like a valid e-mail address (for example name.surname@example.org). Please type it again."
            }
            (FieldError::Phone, Lang::Tr) => {
                "Bu geçerli bir telefon numarası değil. 0532 123 45 67 ya da +90 532 123 45 67 biçiminde yazın veya «Atla»ya basın."
            }
            (FieldError::Phone, Lang::En) => {
                "That is not a valid phone number. Write it like +90 532 123 45 67 (with the country code if not Turkish), or press «Skip»."
            }
        }
    }
}

/// A short free text (a person's or an organisation's name): 2–100 characters, no
/// links, no control characters. Links are refused because a name with a link in it
/// would reach staff lists and exports as spam.
fn short_text(input: &str) -> Result<String, FieldError> {
    let text = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if input.chars().any(|c| c.is_control() && !c.is_whitespace())
        || text
            .chars()
            .any(|c| matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
    {
        return Err(FieldError::ControlCharacter);
    }
    let n = text.chars().count();
    if n < 2 {
        return Err(FieldError::TooShort);
    }
    if n > 100 {
        return Err(FieldError::TooLong);
    }
    let lower = text.to_lowercase();
    if ["http://", "https://", "www.", "t.me/", "://"]
        .iter()
        .any(|l| lower.contains(l))
    {
        return Err(FieldError::Link);
    }
    Ok(text)
}

/// A person's full name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<PersonName, FieldError> {
        short_text(input).map(PersonName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organisation's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Organisation(String);

impl Organisation {
    pub fn parse(input: &str) -> Result<Organisation, FieldError> {
        short_text(input).map(Organisation)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address, checked by a real parser and required to have a domain with a
/// dot (an address such as `name@localhost` is valid by the RFC but reaches nobody).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, FieldError> {
        let input = input.trim();
        let parsed = email_address::EmailAddress::from_str(input).map_err(|_| FieldError::Email)?;
        let domain = parsed.domain();
        if !domain.contains('.')
            || domain.starts_with('[')
            || input.chars().any(char::is_whitespace)
            || input.contains('<')
        {
            return Err(FieldError::Email);
        }
        Ok(Email(format!("{}@{}", parsed.local_part(), domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 (`+905321234567`). Turkish numbers may be written the local
/// way (`0532 123 45 67`); others need their country code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, FieldError> {
        let input = input.trim();
        if input.len() > 32 {
            return Err(FieldError::Phone);
        }
        let number = phonenumber::parse(Some(phonenumber::country::Id::TR), input).map_err(|_| FieldError::Phone)?;
        if !phonenumber::is_valid(&number) {
            return Err(FieldError::Phone);
        }
        Ok(Phone(number.format().mode(phonenumber::Mode::E164).to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_conversions {
    ($($t:ident),*) => {$(
        impl TryFrom<String> for $t {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                $t::parse(&s).map_err(|e| format!("{e:?}"))
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
    )*};
}
string_conversions!(PersonName, Organisation, Email, Phone);

/// The kinds of organisation the office works with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgType {
    PublicBody,
    Municipality,
    Ngo,
    University,
    School,
    Company,
    Individual,
}

impl OrgType {
    pub const ALL: [OrgType; 7] = [
        OrgType::PublicBody,
        OrgType::Municipality,
        OrgType::Ngo,
        OrgType::University,
        OrgType::School,
        OrgType::Company,
        OrgType::Individual,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrgType::PublicBody => "public_body",
            OrgType::Municipality => "municipality",
            OrgType::Ngo => "ngo",
            OrgType::University => "university",
            OrgType::School => "school",
            OrgType::Company => "company",
            OrgType::Individual => "individual",
        }
    }

    pub fn parse(code: &str) -> Option<OrgType> {
        OrgType::ALL.into_iter().find(|t| t.code() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (OrgType::PublicBody, Lang::Tr) => "Kamu kurumu",
            (OrgType::PublicBody, Lang::En) => "Public body",
            (OrgType::Municipality, Lang::Tr) => "Belediye",
            (OrgType::Municipality, Lang::En) => "Municipality",
            (OrgType::Ngo, Lang::Tr) => "STK / dernek / vakıf",
            (OrgType::Ngo, Lang::En) => "NGO",
            (OrgType::University, Lang::Tr) => "Üniversite",
            (OrgType::University, Lang::En) => "University",
            (OrgType::School, Lang::Tr) => "Okul",
            (OrgType::School, Lang::En) => "School",
            (OrgType::Company, Lang::Tr) => "Şirket",
            (OrgType::Company, Lang::En) => "Company",
            (OrgType::Individual, Lang::Tr) => "Bireysel",
            (OrgType::Individual, Lang::En) => "Individual",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Ayşe   Yılmaz ").unwrap().as_str(), "Ayşe Yılmaz");
        assert_eq!(PersonName::parse("A"), Err(FieldError::TooShort));
        assert_eq!(PersonName::parse(&"a".repeat(101)), Err(FieldError::TooLong));
        assert!(PersonName::parse(&"ş".repeat(100)).is_ok());
    }

    #[test]
    fn names_refuse_links_and_control_characters() {
        assert_eq!(PersonName::parse("Ali www.spam.com"), Err(FieldError::Link));
        assert_eq!(PersonName::parse("https://x.y"), Err(FieldError::Link));
        assert_eq!(PersonName::parse("Ali\u{0007}Veli"), Err(FieldError::ControlCharacter));
        assert_eq!(PersonName::parse("Ali\u{202E}Veli"), Err(FieldError::ControlCharacter));
    }

    #[test]
    fn emails_are_parsed_for_real() {
        assert_eq!(
            Email::parse(" Ayse.Yilmaz@Izmir.GOV.tr ").unwrap().as_str(),
            "Ayse.Yilmaz@izmir.gov.tr"
        );
        for bad in ["ayse", "ayse@", "@x.org", "ayse@localhost", "a b@x.org", "ayse@@x.org"] {
            assert_eq!(Email::parse(bad), Err(FieldError::Email), "{bad}");
        }
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(Phone::parse("0532 123 45 67").unwrap().as_str(), "+905321234567");
        assert_eq!(Phone::parse("+90 (232) 455 00 00").unwrap().as_str(), "+902324550000");
        assert_eq!(Phone::parse("+49 30 901820").unwrap().as_str(), "+4930901820");
        for bad in ["123", "abc", "0532 123", "+90 000 000 00 00"] {
            assert_eq!(Phone::parse(bad), Err(FieldError::Phone), "{bad}");
        }
    }

    #[test]
    fn organisation_types_round_trip() {
        for t in OrgType::ALL {
            assert_eq!(OrgType::parse(t.code()), Some(t));
        }
    }
}
