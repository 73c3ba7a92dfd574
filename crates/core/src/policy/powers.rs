//! What a manager may do in their organisation (R12): the powers that mandates give,
//! and the attenuation rule a new mandate must meet.

use std::collections::BTreeSet;

use crate::records::{AccountId, Mandate, MandateId, ServiceRoleId};

/// What a manager may do in their organisation right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Powers {
    /// The partner's administrator or deputy: everything.
    Full,
    /// A delegated manager: the union of their active mandates.
    Mandated {
        /// The mandate new grants and sub-mandates are made under (the newest).
        mandate: MandateId,
        scope: BTreeSet<ServiceRoleId>,
        users: bool,
        groups: bool,
        delegate: bool,
    },
}

impl Powers {
    /// Whether roles may be granted.
    pub fn may_grant(&self, role: ServiceRoleId) -> bool {
        match self {
            Powers::Full => true,
            Powers::Mandated { scope, .. } => scope.contains(&role),
        }
    }
    /// Whether users may be created, edited and suspended.
    pub fn may_manage_users(&self) -> bool {
        matches!(self, Powers::Full | Powers::Mandated { users: true, .. })
    }
    /// Whether groups may be created and their members changed.
    pub fn may_manage_groups(&self) -> bool {
        matches!(self, Powers::Full | Powers::Mandated { groups: true, .. })
    }
    /// Whether mandates may be given in turn.
    pub fn may_delegate(&self) -> bool {
        matches!(self, Powers::Full | Powers::Mandated { delegate: true, .. })
    }
    /// The mandate acts are recorded under, if any.
    pub fn mandate(&self) -> Option<MandateId> {
        match self {
            Powers::Full => None,
            Powers::Mandated { mandate, .. } => Some(*mandate),
        }
    }
}

/// Whether a mandate of `scope` and these flags may be given by someone with `giver`'s
/// powers (attenuation, R12): everything for the administrators; for a delegated manager,
/// the delegation right, a scope within theirs, and no flag they lack themselves.
pub fn within_giver(giver: &Powers, scope: &BTreeSet<ServiceRoleId>, users: bool, groups: bool) -> bool {
    match giver {
        Powers::Full => true,
        Powers::Mandated { scope: mine, users: may_users, groups: may_groups, delegate, .. } => {
            // Giving at all needs the delegation right, which then covers passing it on.
            *delegate && scope.is_subset(mine) && (!users || *may_users) && (!groups || *may_groups)
        }
    }
}

/// The mandate `root` and every active mandate derived from it, root first: what a
/// withdrawal of `root` withdraws. `parents` pairs each active mandate with its parent.
pub fn derived_from(root: MandateId, parents: &[(MandateId, Option<MandateId>)]) -> Vec<MandateId> {
    let mut cut = vec![root];
    let mut i = 0;
    while let Some(parent) = cut.get(i).copied() {
        let children: Vec<MandateId> = parents.iter().filter(|(c, p)| *p == Some(parent) && !cut.contains(c)).map(|(c, _)| *c).collect();
        cut.extend(children);
        i += 1;
    }
    cut
}

/// The powers the active mandates of `holder` give (their union), filed under the newest;
/// `None` without an active mandate.
pub fn mandated(holder: AccountId, mandates: &[Mandate]) -> Option<Powers> {
    let mut active: Vec<&Mandate> = mandates.iter().filter(|m| m.holder_id == holder && m.withdrawn_at.is_none()).collect();
    active.sort_by_key(|m| m.created_at);
    let newest = active.last()?;
    let mut scope = BTreeSet::new();
    for m in &active {
        scope.extend(m.scope.iter().copied());
    }
    Some(Powers::Mandated {
        mandate: newest.id,
        scope,
        users: active.iter().any(|m| m.may_manage_users),
        groups: active.iter().any(|m| m.may_manage_groups),
        delegate: active.iter().any(|m| m.may_delegate),
    })
}

/// Whether `actor`'s powers cover every power of `target` (None: a person without a
/// mandate): a manager acts on a person (edits, suspends, sends a new link) only then, so
/// that nobody takes over an account wider than their own.
pub fn covers(actor: &Powers, target: Option<&Powers>) -> bool {
    match (actor, target) {
        (_, None) | (Powers::Full, _) => true,
        (Powers::Mandated { .. }, Some(Powers::Full)) => false,
        (
            Powers::Mandated { scope: mine, users: u, groups: g, delegate: d, .. },
            Some(Powers::Mandated { scope, users, groups, delegate, .. }),
        ) => scope.is_subset(mine) && (!users || *u) && (!groups || *g) && (!delegate || *d),
    }
}

/// The mandate a new sub-mandate derives from: one active mandate of `giver` that may
/// delegate and covers it entirely (scope and flags). The union of several mandates does
/// not: each sub-mandate hangs on one named parent, so that withdrawing the parent takes
/// it away (R12). `None` when no single mandate covers it.
pub fn parent_for(giver: AccountId, mandates: &[Mandate], scope: &BTreeSet<ServiceRoleId>, users: bool, groups: bool) -> Option<MandateId> {
    mandates
        .iter()
        .filter(|m| m.holder_id == giver && m.withdrawn_at.is_none() && m.may_delegate)
        .filter(|m| scope.is_subset(&m.scope) && (!users || m.may_manage_users) && (!groups || m.may_manage_groups))
        .min_by_key(|m| m.created_at)
        .map(|m| m.id)
}

/// Whether someone may withdraw or edit `target`: the partner's administrators
/// (`full`), or a person who gave a mandate on the chain above it — never its own holder.
pub fn may_change_mandate(actor: AccountId, full: bool, target: &Mandate, all: &[Mandate]) -> bool {
    if target.holder_id == actor {
        return false;
    }
    let mut cursor = Some(target);
    while let Some(m) = cursor {
        if full || m.given_by == actor {
            return true;
        }
        cursor = m.parent_id.and_then(|p| all.iter().find(|x| x.id == p));
    }
    false
}

/// Whether two mandates overlap: they share a profile, or both manage users, or both
/// manage groups. A person holds no two overlapping mandates in force (the one there is
/// is edited instead).
pub fn overlaps(a: &Mandate, scope: &BTreeSet<ServiceRoleId>, users: bool, groups: bool) -> bool {
    !a.scope.is_disjoint(scope) || (a.may_manage_users && users) || (a.may_manage_groups && groups)
}

/// Whether `child` still fits under `parent` as edited (scope, powers, delegation).
pub fn still_covered(child: &Mandate, parent: &Mandate) -> bool {
    parent.may_delegate
        && child.scope.is_subset(&parent.scope)
        && (!child.may_manage_users || parent.may_manage_users)
        && (!child.may_manage_groups || parent.may_manage_groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn role(n: u128) -> ServiceRoleId {
        ServiceRoleId(Uuid::from_u128(n))
    }

    #[test]
    fn a_mandate_stays_within_its_giver() {
        let mine: BTreeSet<_> = [role(1), role(2)].into();
        let giver = Powers::Mandated { mandate: MandateId::new(), scope: mine.clone(), users: true, groups: false, delegate: true };
        assert!(within_giver(&giver, &[role(1)].into(), true, false));
        assert!(!within_giver(&giver, &[role(3)].into(), false, false), "a role the giver lacks");
        assert!(!within_giver(&giver, &[role(1)].into(), false, true), "a flag the giver lacks");
        let no_delegation = Powers::Mandated { mandate: MandateId::new(), scope: mine, users: true, groups: true, delegate: false };
        assert!(!within_giver(&no_delegation, &[role(1)].into(), false, false));
        assert!(within_giver(&Powers::Full, &[role(9)].into(), true, true));
    }

    #[test]
    fn a_manager_covers_only_narrower_people() {
        let mine = Powers::Mandated { mandate: MandateId::new(), scope: [role(1), role(2)].into(), users: true, groups: false, delegate: false };
        let narrower = Powers::Mandated { mandate: MandateId::new(), scope: [role(1)].into(), users: true, groups: false, delegate: false };
        let wider_scope = Powers::Mandated { mandate: MandateId::new(), scope: [role(3)].into(), users: false, groups: false, delegate: false };
        let with_groups = Powers::Mandated { mandate: MandateId::new(), scope: [].into(), users: false, groups: true, delegate: false };
        assert!(covers(&mine, None), "a plain user");
        assert!(covers(&mine, Some(&narrower)));
        assert!(!covers(&mine, Some(&wider_scope)));
        assert!(!covers(&mine, Some(&with_groups)));
        assert!(!covers(&mine, Some(&Powers::Full)));
        assert!(covers(&Powers::Full, Some(&with_groups)));
    }

    #[test]
    fn withdrawal_reaches_every_descendant_and_nothing_else() {
        let (a, b, c, d) = (MandateId::new(), MandateId::new(), MandateId::new(), MandateId::new());
        let parents = [(a, None), (b, Some(a)), (c, Some(b)), (d, None)];
        assert_eq!(derived_from(a, &parents), vec![a, b, c]);
        assert_eq!(derived_from(b, &parents), vec![b, c]);
        assert_eq!(derived_from(d, &parents), vec![d]);
    }
}
