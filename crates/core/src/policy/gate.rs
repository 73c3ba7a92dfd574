//! When a service is open for a partner (R2), and which management mode is in force.

use time::Date;

use crate::records::{Amendment, ManagementMode, Missing, ServiceContract, Subscription, Convention};

/// What is missing for `service` to be open for a partner on `today` (empty: open).
pub fn gate(conventions: &[Convention], contracts: &[ServiceContract], sub: Option<&Subscription>, today: Date) -> Vec<Missing> {
    let mut m = Vec::new();
    if conventions.is_empty() {
        m.push(Missing::Convention);
    }
    if contracts.is_empty() {
        m.push(Missing::ServiceContract);
    }
    match sub {
        None => m.push(Missing::Subscription),
        Some(s) => {
            if s.signed_on.is_none() {
                m.push(Missing::SubscriptionSignature);
            }
            if s.formalities_reference.is_none() || s.formalities_on.is_none() {
                m.push(Missing::DataProtectionFormalities);
            }
            match s.available_from {
                None => m.push(Missing::AvailabilityDate),
                Some(from) if from > today => m.push(Missing::NotYetAvailable { from }),
                Some(_) => {}
            }
            if s.max_holders.is_none() {
                m.push(Missing::Quota);
            }
        }
    }
    m
}

/// The mode in force on `today`: the latest amendment already effective, else the latest
/// contract's own mode; `None` without a contract.
pub fn mode_on(contracts: &[ServiceContract], amendments: &[Amendment], today: Date) -> Option<ManagementMode> {
    let base = contracts.iter().max_by_key(|c| c.signed_on)?;
    let amended = amendments
        .iter()
        .filter(|a| a.contract_id == base.id && a.effective_on <= today)
        .max_by_key(|a| (a.effective_on, a.signed_on));
    Some(amended.map(|a| a.mode).unwrap_or(base.mode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;
    use uuid::Uuid;
    use crate::records::{AmendmentId, ContractId, ConventionId, OrganisationId, ServiceId, SubscriptionId};

    fn conv() -> Convention {
        Convention { id: ConventionId(Uuid::nil()), partner_id: OrganisationId(Uuid::nil()), number: "n".into(), signed_on: date!(2017 - 05 - 11), signatories: "x".into() }
    }
    fn contract(mode: ManagementMode) -> ServiceContract {
        ServiceContract { id: ContractId(Uuid::nil()), convention_id: ConventionId(Uuid::nil()), partner_id: OrganisationId(Uuid::nil()), mode, signed_on: date!(2017 - 05 - 11), signatories: "x".into() }
    }

    #[test]
    fn the_gate_lists_what_is_missing() {
        let today = date!(2026 - 11 - 27);
        assert_eq!(gate(&[], &[], None, today), vec![Missing::Convention, Missing::ServiceContract, Missing::Subscription]);
        let mut sub = Subscription {
            id: SubscriptionId(Uuid::nil()),
            partner_id: OrganisationId(Uuid::nil()),
            service_id: ServiceId(Uuid::nil()),
            signed_on: Some(date!(2017 - 05 - 11)),
            formalities_reference: None,
            formalities_on: None,
            available_from: Some(date!(2027 - 01 - 01)),
            max_holders: Some(10),
            role_quotas: vec![],
        };
        assert_eq!(
            gate(&[conv()], &[contract(ManagementMode::Delegated)], Some(&sub), today),
            vec![Missing::DataProtectionFormalities, Missing::NotYetAvailable { from: date!(2027 - 01 - 01) }]
        );
        sub.formalities_reference = Some("CNIL 1234567".into());
        sub.formalities_on = Some(date!(2017 - 04 - 01));
        sub.available_from = Some(date!(2017 - 05 - 11));
        assert!(gate(&[conv()], &[contract(ManagementMode::Delegated)], Some(&sub), today).is_empty());
        // Art. 2.2.1: the caisse sets the maximum number of holders "obligatoirement".
        sub.max_holders = None;
        assert_eq!(gate(&[conv()], &[contract(ManagementMode::Delegated)], Some(&sub), today), vec![Missing::Quota]);
    }

    #[test]
    fn amendments_change_the_mode_from_their_date() {
        let c = contract(ManagementMode::Delegated);
        let a = Amendment {
            id: AmendmentId(Uuid::nil()),
            contract_id: c.id,
            partner_id: c.partner_id,
            mode: ManagementMode::CaisseManaged,
            signed_on: date!(2026 - 11 - 20),
            effective_on: date!(2026 - 12 - 01),
            reason: "retrait".into(),
        };
        assert_eq!(mode_on(&[], &[], date!(2026 - 11 - 27)), None);
        assert_eq!(mode_on(&[c.clone()], &[a.clone()], date!(2026 - 11 - 27)), Some(ManagementMode::Delegated));
        assert_eq!(mode_on(&[c], &[a], date!(2026 - 12 - 01)), Some(ManagementMode::CaisseManaged));
    }
}
