//! Verification of the trail (R64): every chain is read in order and every seal is
//! recomputed, so that an edited, deleted, inserted or reordered record is found; and
//! against a signed anchor (the tip of every chain, exported off the database), so that
//! the newest records removed with their head rewound, or a whole chain deleted, are found
//! too.

use uuid::Uuid;

use crate::error::Result;
use crate::store::*;
use crate::trace::*;


/// What is wrong with the first bad record found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The record's content does not match its seal (edited, or sealed with another key).
    SealMismatch,
    /// The record does not follow the one before it (a record before it was removed,
    /// inserted or moved).
    BrokenLink,
    /// A sequence number is missing or repeated.
    SequenceGap { expected: i64 },
    /// The chain ends before its recorded head (records at the end were removed).
    TruncatedChain { head_seq: i64 },
    /// The chain's head does not match its last record.
    HeadMismatch,
    /// A purge checkpoint is not signed by the checkpoint key (forged or edited).
    CheckpointSignature,
    /// The chain was purged but no checkpoint key was given to check its checkpoints.
    CheckpointUnchecked,
    /// The anchor is not signed by the checkpoint key (forged or edited), or no key was
    /// given to check it.
    AnchorSignature,
    /// A chain the anchor lists is gone, with its head.
    ChainMissing { anchored_seq: i64 },
    /// The chain ends before the tip the anchor vouches for (its newest records were
    /// removed and its head rewound).
    ShorterThanAnchor { anchored_seq: i64 },
    /// The record at the anchored tip is not the one the anchor saw (the chain was
    /// rewritten from there).
    AnchorMismatch { anchored_seq: i64 },
}

/// The first bad record, named so that an operator can find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub chain_id: Uuid,
    pub seq: i64,
    pub record_id: Option<Uuid>,
    pub problem: Problem,
}

/// The result of a verification.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub chains: usize,
    pub records: u64,
    /// `None` when the trail is intact.
    pub finding: Option<Finding>,
}

/// The trail's tip now: every chain with its last record's number and seal, signed with
/// the checkpoint key. `serve` writes one periodically; `habilis audit anchor` on demand.
pub async fn anchor<S: Store>(store: &S, key: &CheckpointKey, now: i64) -> Result<Anchor> {
    let heads = store.trace_heads().await?;
    let chains = heads.into_iter().map(|h| AnchoredChain { chain_id: h.chain_id, seq: h.seq, seal: h.seal }).collect();
    let mut a = Anchor { created_at: now, chains, public_key: vec![], signature: vec![] };
    key.sign_anchor(&mut a);
    Ok(a)
}

/// Verify every chain of the trail with `key`, the purge checkpoints with `checkpoints`
/// (the Ed25519 public key), and the trail against `anchor` when one is given. Stops at
/// the first bad record.
///
/// A chain that was purged starts after its latest checkpoint: the first record kept must
/// follow the seal the checkpoint vouches for. Any other removal still shows as a gap or a
/// broken link, and a checkpoint nobody signed with the key is itself a finding. Every
/// chain the anchor lists must still exist and reach at least the anchored tip with the
/// anchored seal there (unless a signed purge checkpoint has removed that record since).
/// Without an anchor, records appended after the last anchor can be cut unseen: the
/// anchor's interval is the window of that risk.
pub async fn verify<S: Store>(
    store: &S,
    key: &TraceKey,
    checkpoints: Option<&CheckpointVerifier>,
    anchor: Option<&Anchor>,
) -> Result<VerifyReport> {
    let mut report = VerifyReport::default();
    let heads = store.trace_heads().await?;
    let cps = store.trace_checkpoints().await?;
    if let Some(a) = anchor {
        if !checkpoints.is_some_and(|v| v.check_anchor(a)) {
            report.finding = Some(Finding { chain_id: Uuid::nil(), seq: 0, record_id: None, problem: Problem::AnchorSignature });
            return Ok(report);
        }
        if let Some(gone) = a.chains.iter().find(|c| c.seq > 0 && !heads.iter().any(|h| h.chain_id == c.chain_id)) {
            report.finding = Some(Finding { chain_id: gone.chain_id, seq: gone.seq, record_id: None, problem: Problem::ChainMissing { anchored_seq: gone.seq } });
            return Ok(report);
        }
    }
    for c in &cps {
        let ok = match checkpoints {
            Some(v) => v.check(c),
            None => {
                report.finding = Some(Finding { chain_id: c.chain_id, seq: c.seq, record_id: None, problem: Problem::CheckpointUnchecked });
                return Ok(report);
            }
        };
        if !ok {
            report.finding = Some(Finding { chain_id: c.chain_id, seq: c.seq, record_id: Some(c.id), problem: Problem::CheckpointSignature });
            return Ok(report);
        }
    }
    for head in heads {
        report.chains += 1;
        // The latest checkpoint of this chain, if it was ever purged.
        let start = cps.iter().filter(|c| c.chain_id == head.chain_id).max_by_key(|c| c.seq);
        let mut expected_seq = start.map(|c| c.seq + 1).unwrap_or(1);
        let mut prev = start.map(|c| c.seal.clone()).unwrap_or_else(|| GENESIS_SEAL.to_vec());
        let finding = |seq, record_id, problem| Finding { chain_id: head.chain_id, seq, record_id, problem };
        // The anchored tip of this chain, unless a purge has removed that record since.
        let anchored = anchor
            .and_then(|a| a.chains.iter().find(|c| c.chain_id == head.chain_id))
            .filter(|c| start.is_none_or(|cp| cp.seq < c.seq));
        'chain: loop {
            let page = store.trace_page(head.chain_id, expected_seq - 1, 1000).await?;
            if page.is_empty() {
                break;
            }
            for r in page {
                report.records += 1;
                if r.seq != expected_seq {
                    report.finding = Some(finding(r.seq, Some(r.entry.id), Problem::SequenceGap { expected: expected_seq }));
                    break 'chain;
                }
                if r.prev_seal != prev {
                    report.finding = Some(finding(r.seq, Some(r.entry.id), Problem::BrokenLink));
                    break 'chain;
                }
                if !key.check(&r) {
                    report.finding = Some(finding(r.seq, Some(r.entry.id), Problem::SealMismatch));
                    break 'chain;
                }
                if let Some(a) = anchored.filter(|a| a.seq == r.seq && a.seal != r.seal) {
                    report.finding = Some(finding(r.seq, Some(r.entry.id), Problem::AnchorMismatch { anchored_seq: a.seq }));
                    break 'chain;
                }
                prev = r.seal;
                expected_seq += 1;
            }
        }
        if report.finding.is_some() {
            return Ok(report);
        }
        let last = expected_seq - 1;
        if let Some(a) = anchored.filter(|a| last < a.seq) {
            report.finding = Some(finding(last + 1, None, Problem::ShorterThanAnchor { anchored_seq: a.seq }));
            return Ok(report);
        }
        if last < head.seq {
            report.finding = Some(finding(last + 1, None, Problem::TruncatedChain { head_seq: head.seq }));
            return Ok(report);
        }
        if last != head.seq || prev != head.seal {
            report.finding = Some(finding(last, None, Problem::HeadMismatch));
            return Ok(report);
        }
    }
    Ok(report)
}
