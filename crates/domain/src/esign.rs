//! Signature requests (spec/integrations.md, "E-signature"): each provider's action vocabulary,
//! the statuses, and how provider events move them — idempotently and in any order, since
//! providers retry their callbacks and do not promise their order.

use serde::{Deserialize, Serialize};

use crate::Detail;

/// A request's status [ours].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Sent,
    PartiallySigned,
    Signed,
    Refused,
    Cancelled,
    Expired,
    Failed,
}

impl RequestStatus {
    pub const ALL: [&'static str; 7] =
        ["sent", "partially_signed", "signed", "refused", "cancelled", "expired", "failed"];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Sent => "sent",
            RequestStatus::PartiallySigned => "partially_signed",
            RequestStatus::Signed => "signed",
            RequestStatus::Refused => "refused",
            RequestStatus::Cancelled => "cancelled",
            RequestStatus::Expired => "expired",
            RequestStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<RequestStatus> {
        Some(match s {
            "sent" => RequestStatus::Sent,
            "partially_signed" => RequestStatus::PartiallySigned,
            "signed" => RequestStatus::Signed,
            "refused" => RequestStatus::Refused,
            "cancelled" => RequestStatus::Cancelled,
            "expired" => RequestStatus::Expired,
            "failed" => RequestStatus::Failed,
            _ => return None,
        })
    }

    /// Nothing moves a request out of these.
    pub fn is_final(self) -> bool {
        !matches!(self, RequestStatus::Sent | RequestStatus::PartiallySigned)
    }
}

/// A signer's status [ours].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerStatus {
    Pending,
    Signed,
    Refused,
}

/// One signer as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signer {
    pub email: String,
    pub name: Option<String>,
    /// In the provider's own vocabulary.
    pub action: String,
    pub status: SignerStatus,
    /// Milliseconds since the epoch.
    pub signed_at: Option<i64>,
}

/// A provider's signer actions: the accepted values, the default, and which of them do not
/// sign (watchers, who never block completion).
#[derive(Debug, Clone, Copy)]
pub struct Vocabulary {
    pub actions: &'static [&'static str],
    pub default: &'static str,
    pub watching: &'static [&'static str],
    /// Named in error messages.
    pub what: &'static str,
}

/// Docusign recipient types, by their singular names; `configurator` is Docusign's editor
/// (may change the envelope's recipients and fields before signing) [ours: the mapping]. In
/// person signers and witnesses need a host or a signer to witness, which the request's shape
/// has no place for, so they are not offered.
pub const DOCUSIGN: Vocabulary = Vocabulary {
    actions: &["signer", "carbon_copy", "certified_delivery", "agent", "configurator", "intermediary"],
    default: "signer",
    watching: &["carbon_copy", "certified_delivery", "agent", "configurator", "intermediary"],
    what: "a Docusign role",
};

/// Clicksign API v3 qualification roles (`sign_as`: the `role` of an `agree` requirement).
/// Those we could read in its reference, plus the common ones of its product [to confirm].
pub const CLICKSIGN: Vocabulary = Vocabulary {
    actions: &[
        "sign",
        "account_holder",
        "accountant",
        "associate",
        "bailee",
        "approve",
        "party",
        "witness",
        "intervening",
        "receipt",
        "endorser",
        "endorsee",
        "administrator",
        "guarantor",
        "transferor",
        "transferee",
        "contractee",
        "contractor",
        "joint_debtor",
        "issuer",
        "manager",
        "buyer",
        "seller",
        "attorney",
        "legal_representative",
        "co_responsible",
        "validator",
        "ratify",
        "lessor",
        "lessee",
        "surety",
    ],
    default: "sign",
    watching: &[],
    what: "a Clicksign role",
};

/// D4Sign acts: 1 sign, 2 approve, 3 acknowledge, 4 sign as party, 5 sign as witness.
pub const D4SIGN: Vocabulary = Vocabulary {
    actions: &["1", "2", "3", "4", "5"],
    default: "1",
    watching: &[],
    what: "a D4Sign act (1 sign, 2 approve, 3 acknowledge, 4 sign as party, 5 sign as witness)",
};

/// Adobe Acrobat Sign participant roles.
pub const ADOBE_SIGN: Vocabulary = Vocabulary {
    actions: &["SIGNER", "APPROVER", "ACCEPTOR", "CERTIFIED_RECIPIENT", "FORM_FILLER"],
    default: "SIGNER",
    watching: &[],
    what: "an Adobe Sign role",
};

/// Certisign Portal participant kinds [ours: names].
pub const CERTISIGN: Vocabulary = Vocabulary {
    actions: &["signer", "electronic_signer", "approver", "observer"],
    default: "signer",
    watching: &["observer"],
    what: "a Certisign participant kind",
};

impl Vocabulary {
    pub fn of_slug(slug: &str) -> Option<&'static Vocabulary> {
        Some(match slug {
            "docusign" => &DOCUSIGN,
            "clicksign" => &CLICKSIGN,
            "d4sign" => &D4SIGN,
            "adobe_sign" => &ADOBE_SIGN,
            "certisign" => &CERTISIGN,
            _ => return None,
        })
    }

    /// The action as stored: the default when none was given; a problem when it is not one of
    /// the provider's. D4Sign's numbers are accepted as numbers or strings.
    pub fn check(&self, action: Option<&serde_json::Value>, at: &str, details: &mut Vec<Detail>) -> String {
        let given = match action {
            None | Some(serde_json::Value::Null) => return self.default.to_string(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(other) => other.to_string(),
        };
        if !self.actions.contains(&given.as_str()) {
            details.push(Detail::new(
                at,
                format!("expected {}: one of {}, got {given:?}", self.what, self.actions.join(", ")),
            ));
        }
        given
    }

    pub fn signs(&self, action: &str) -> bool {
        !self.watching.contains(&action)
    }
}

/// How a callback names a signer: by position (0-based, in the request's order: Docusign's
/// recipient numbers) or by email (Clicksign, D4Sign).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerRef {
    Index(usize),
    Email(String),
}

/// What a provider callback says happened, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happening {
    /// The signer signed or approved.
    SignerSigned(SignerRef),
    SignerRefused(SignerRef),
    /// Every signer is done: the document is signed.
    Completed,
    /// The request was refused as a whole (a signer declined).
    Refused,
    Cancelled,
    Expired,
    Failed,
    /// Recorded in `events`, changes nothing (delivered, viewed, ...).
    Noted,
}

/// A request's state as events move it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub status: RequestStatus,
    pub signers: Vec<Signer>,
}

impl State {
    /// Applies one happening at `at` (ms). Final statuses and signer outcomes never change once
    /// reached, and a completion marks every signing signer signed, so any order of the same
    /// events ends in the same state. Answers whether anything changed.
    pub fn apply(&mut self, vocabulary: &Vocabulary, happening: &Happening, at: i64) -> bool {
        let before = self.clone();
        match happening {
            Happening::SignerSigned(signer) | Happening::SignerRefused(signer) => {
                let refused = matches!(happening, Happening::SignerRefused(_));
                if let Some(signer) = self.signer_mut(signer) {
                    if signer.status == SignerStatus::Pending {
                        signer.status = if refused { SignerStatus::Refused } else { SignerStatus::Signed };
                        signer.signed_at = (!refused).then_some(at);
                    }
                }
                if refused {
                    self.finish(RequestStatus::Refused);
                }
            }
            Happening::Completed if !self.status.is_final() => {
                for signer in self.signers.iter_mut().filter(|s| vocabulary.signs(&s.action)) {
                    if signer.status == SignerStatus::Pending {
                        signer.status = SignerStatus::Signed;
                        signer.signed_at = Some(at);
                    }
                }
                self.finish(RequestStatus::Signed);
            }
            Happening::Completed => {}
            Happening::Refused => self.finish(RequestStatus::Refused),
            Happening::Cancelled => self.finish(RequestStatus::Cancelled),
            Happening::Expired => self.finish(RequestStatus::Expired),
            Happening::Failed => self.finish(RequestStatus::Failed),
            Happening::Noted => {}
        }
        if !self.status.is_final() {
            let signing = self.signers.iter().filter(|s| vocabulary.signs(&s.action));
            let signed = signing.clone().filter(|s| s.status == SignerStatus::Signed).count();
            self.status = match (signed, signing.count()) {
                (0, _) => RequestStatus::Sent,
                (n, all) if n == all => RequestStatus::Signed,
                _ => RequestStatus::PartiallySigned,
            };
        }
        *self != before
    }

    /// The signer a callback names; by email, the first one still pending (a person may sign
    /// twice, in two roles), else the first with that email.
    fn signer_mut(&mut self, signer: &SignerRef) -> Option<&mut Signer> {
        match signer {
            SignerRef::Index(index) => self.signers.get_mut(*index),
            SignerRef::Email(email) => {
                let same = |s: &Signer| s.email.eq_ignore_ascii_case(email);
                let position = self
                    .signers
                    .iter()
                    .position(|s| same(s) && s.status == SignerStatus::Pending)
                    .or_else(|| self.signers.iter().position(same))?;
                self.signers.get_mut(position)
            }
        }
    }

    fn finish(&mut self, status: RequestStatus) {
        if !self.status.is_final() {
            self.status = status;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(actions: &[&str]) -> State {
        let signers = actions
            .iter()
            .enumerate()
            .map(|(i, action)| Signer {
                email: format!("s{i}@example.com"),
                name: None,
                action: action.to_string(),
                status: SignerStatus::Pending,
                signed_at: None,
            })
            .collect();
        State { status: RequestStatus::Sent, signers }
    }

    fn permutations(events: &[Happening]) -> Vec<Vec<Happening>> {
        if events.len() <= 1 {
            return vec![events.to_vec()];
        }
        let mut out = Vec::new();
        for i in 0..events.len() {
            let mut rest = events.to_vec();
            let first = rest.remove(i);
            for mut tail in permutations(&rest) {
                tail.insert(0, first.clone());
                out.push(tail);
            }
        }
        out
    }

    #[test]
    fn one_signature_of_two_is_partial_and_both_are_signed() {
        let mut s = state(&["signer", "signer"]);
        assert!(s.apply(&DOCUSIGN, &Happening::SignerSigned(SignerRef::Index(0)), 10));
        assert_eq!(s.status, RequestStatus::PartiallySigned);
        assert!(!s.apply(&DOCUSIGN, &Happening::SignerSigned(SignerRef::Index(0)), 20), "a repeat changes nothing");
        assert_eq!(s.signers[0].signed_at, Some(10));
        s.apply(&DOCUSIGN, &Happening::SignerSigned(SignerRef::Index(1)), 30);
        assert_eq!(s.status, RequestStatus::Signed);
    }

    #[test]
    fn watchers_do_not_block_and_a_refusal_is_final() {
        let mut s = state(&["signer", "carbon_copy"]);
        s.apply(&DOCUSIGN, &Happening::SignerSigned(SignerRef::Index(0)), 10);
        assert_eq!(s.status, RequestStatus::Signed);
        let mut r = state(&["signer", "signer"]);
        r.apply(&DOCUSIGN, &Happening::SignerRefused(SignerRef::Index(1)), 10);
        r.apply(&DOCUSIGN, &Happening::Completed, 20);
        r.apply(&DOCUSIGN, &Happening::SignerSigned(SignerRef::Index(0)), 30);
        assert_eq!(r.status, RequestStatus::Refused);
        assert_eq!(r.signers[1].status, SignerStatus::Refused);
        assert_eq!(r.signers[0].signed_at, Some(30), "a signer's own signature is still recorded");
    }

    #[test]
    fn every_order_of_the_same_events_ends_the_same() {
        let signed = [
            Happening::SignerSigned(SignerRef::Index(0)),
            Happening::SignerSigned(SignerRef::Index(1)),
            Happening::Completed,
        ];
        let refused = [
            Happening::SignerSigned(SignerRef::Index(0)),
            Happening::SignerRefused(SignerRef::Index(1)),
            Happening::Refused,
        ];
        for (events, status) in [(&signed[..], RequestStatus::Signed), (&refused[..], RequestStatus::Refused)] {
            for order in permutations(events) {
                let mut s = state(&["signer", "signer"]);
                for (i, event) in order.iter().enumerate() {
                    s.apply(&DOCUSIGN, event, i as i64);
                }
                assert_eq!(s.status, status, "{order:?}");
                assert!(s.signers.iter().all(|x| x.status != SignerStatus::Pending), "{order:?}");
            }
        }
    }

    #[test]
    fn signers_named_by_email_take_the_first_pending_one() {
        let mut s = state(&["sign", "sign"]);
        s.signers[1].email = "S0@example.com".into();
        let by_email = |e: &str| SignerRef::Email(e.into());
        s.apply(&CLICKSIGN, &Happening::SignerSigned(by_email("s0@example.com")), 1);
        assert_eq!(s.signers[0].status, SignerStatus::Signed);
        s.apply(&CLICKSIGN, &Happening::SignerSigned(by_email("s0@example.com")), 2);
        assert_eq!((s.signers[1].status, s.status), (SignerStatus::Signed, RequestStatus::Signed));
        assert!(!s.apply(&CLICKSIGN, &Happening::SignerRefused(by_email("nobody@example.com")), 3));
    }

    #[test]
    fn actions_are_each_providers_own() {
        let mut details = Vec::new();
        assert_eq!(D4SIGN.check(Some(&serde_json::json!(5)), "signers[0].action", &mut details), "5");
        assert_eq!(CLICKSIGN.check(None, "signers[0].action", &mut details), "sign");
        assert_eq!(DOCUSIGN.check(Some(&serde_json::json!("configurator")), "x", &mut details), "configurator");
        assert!(details.is_empty());
        D4SIGN.check(Some(&serde_json::json!(6)), "signers[1].action", &mut details);
        CLICKSIGN.check(Some(&serde_json::json!("sign_as_boss")), "signers[2].action", &mut details);
        assert_eq!(details.len(), 2);
        assert_eq!(details[0].path, "signers[1].action");
    }
}
