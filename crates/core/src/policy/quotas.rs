//! Quota arithmetic (R10): a quota counts distinct people holding a service (or one of its
//! roles), whether directly or through a group.

use crate::records::AccountId;

/// How many people would hold the right after adding `new_people` to `holders`, when that
/// is more than today and more than `allowed`; `None` when the quota allows it (adding
/// nobody new never passes a quota, even one already over its limit).
pub fn would_exceed(holders: &[AccountId], new_people: &[AccountId], allowed: i64) -> Option<i64> {
    let mut after: Vec<AccountId> = holders.to_vec();
    for p in new_people {
        if !after.contains(p) {
            after.push(*p);
        }
    }
    let n = after.len() as i64;
    (after.len() > holders.len() && n > allowed).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_count_distinct_people() {
        let (a, b, c) = (AccountId::new(), AccountId::new(), AccountId::new());
        assert_eq!(would_exceed(&[a], &[b], 2), None);
        assert_eq!(would_exceed(&[a, b], &[c], 2), Some(3));
        assert_eq!(would_exceed(&[a, b], &[a], 2), None, "someone who already holds it");
        assert_eq!(would_exceed(&[a, b, c], &[], 1), None, "nobody new");
        assert_eq!(would_exceed(&[a], &[b, b], 2), None, "the same person twice");
    }
}
