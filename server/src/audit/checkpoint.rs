//! Signed checkpoints of the audit chain: the server's Ed25519 key and anchor, kept outside the database.
//!
//! The hash chain alone shows an edit only to someone who did not recompute
//! it. Every minute the server signs the chain hash of the newest record with
//! a key held in a file of its own (never in Postgres) and remembers, in an
//! anchor file beside it, the newest record it signed. Verification then
//! catches what the chain cannot: records edited and the chain recomputed
//! (the hash at a checkpoint differs), the newest records cut (a checkpoint or
//! the anchor names a record that is gone), checkpoints removed to hide that
//! (the anchor names one the database no longer holds). The text signed is
//! given in `docs/audit-checkpoints.md`, so anyone with the public key can
//! check an exported checkpoint.

use super::repo::{self, StoredCheckpoint};
use anyhow::Context;
use app::audit::{AuditProblem, AuditPublicKey, AuditVerification, CheckpointSummary};
use chrono::{DateTime, SubsecRound, Utc};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The newest record this server signed, as its anchor file keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchor {
    /// The record.
    pub seq: i64,
    /// Its chain hash (hex).
    pub hash: String,
    /// When it was signed.
    pub signed_at: DateTime<Utc>,
}

/// Signs checkpoints and knows which keys to believe.
pub struct AuditSigner {
    key: Ed25519KeyPair,
    key_id: String,
    /// Public keys believed, by id: this server's and the configured ones.
    trusted: Vec<(String, Vec<u8>)>,
    anchor_path: PathBuf,
    anchor: std::sync::Mutex<Option<Anchor>>,
    /// One verification at a time: each reads the whole chain.
    verifying: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditSigner")
            .field("key_id", &self.key_id)
            .field("trusted", &self.trusted.len())
            .finish_non_exhaustive()
    }
}

/// Returns a key's id: the first 16 hex digits of the SHA-256 of its public key.
pub fn key_id_of(public_key: &[u8]) -> String {
    hex::encode(&Sha256::digest(public_key)[..8])
}

/// Returns the text a checkpoint's signature covers.
pub fn signed_text(seq: i64, hash: &[u8], signed_at: DateTime<Utc>) -> String {
    format!(
        "vigil-audit-checkpoint/1\nseq {seq}\nhash {}\nsigned_at {}\n",
        hex::encode(hash),
        signed_at.format("%Y-%m-%dT%H:%M:%S%.6fZ")
    )
}

impl AuditSigner {
    /// Opens the key in `key_file` (creating it, readable by this user only,
    /// when missing) and the anchor beside it; `trusted` adds public keys
    /// (hex) of other instances or earlier keys.
    pub fn open(key_file: &Path, trusted: &[String]) -> anyhow::Result<AuditSigner> {
        let key = load_or_create_key(key_file)?;
        let public = key.public_key().as_ref().to_vec();
        let key_id = key_id_of(&public);
        let mut believed = vec![(key_id.clone(), public)];
        for text in trusted {
            let bytes = hex::decode(text.trim())
                .ok()
                .filter(|b| b.len() == 32)
                .with_context(|| {
                    format!("VIGIL_AUDIT_TRUSTED_KEYS: `{text}` is not a 32-byte hex public key")
                })?;
            believed.push((key_id_of(&bytes), bytes));
        }
        let anchor_path = key_file.with_extension("anchor");
        let anchor =
            match std::fs::read(&anchor_path) {
                Ok(bytes) => Some(serde_json::from_slice(&bytes).with_context(|| {
                    format!("reading the audit anchor {}", anchor_path.display())
                })?),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
                Err(error) => {
                    return Err(error).context(format!("reading {}", anchor_path.display()));
                }
            };
        Ok(AuditSigner {
            key,
            key_id,
            trusted: believed,
            anchor_path,
            anchor: std::sync::Mutex::new(anchor),
            verifying: tokio::sync::Mutex::new(()),
        })
    }

    /// Returns this server's public key.
    pub fn public_key(&self) -> AuditPublicKey {
        AuditPublicKey {
            algorithm: "Ed25519".into(),
            key_id: self.key_id.clone(),
            public_key: hex::encode(self.key.public_key().as_ref()),
        }
    }

    /// Returns the newest record this server signed.
    pub fn anchor(&self) -> Option<Anchor> {
        self.anchor.lock().map(|a| a.clone()).unwrap_or_default()
    }

    fn sign(&self, seq: i64, hash: Vec<u8>, signed_at: DateTime<Utc>) -> StoredCheckpoint {
        let signature = self
            .key
            .sign(signed_text(seq, &hash, signed_at).as_bytes())
            .as_ref()
            .to_vec();
        StoredCheckpoint {
            seq,
            hash,
            signed_at,
            key_id: self.key_id.clone(),
            signature,
        }
    }

    /// Returns whether a trusted key signed `checkpoint`: `None` when its key
    /// is not one this server believes.
    fn signature_valid(&self, checkpoint: &StoredCheckpoint) -> Option<bool> {
        let (_, public) = self
            .trusted
            .iter()
            .find(|(id, _)| *id == checkpoint.key_id)?;
        let text = signed_text(checkpoint.seq, &checkpoint.hash, checkpoint.signed_at);
        Some(
            UnparsedPublicKey::new(&ED25519, public)
                .verify(text.as_bytes(), &checkpoint.signature)
                .is_ok(),
        )
    }

    /// Writes the anchor beside the key, replacing the old one atomically.
    fn record_anchor(&self, anchor: Anchor) -> anyhow::Result<()> {
        let temporary = self.anchor_path.with_extension("anchor.new");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)
            .with_context(|| format!("writing {}", temporary.display()))?;
        file.write_all(&serde_json::to_vec(&anchor)?)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &self.anchor_path)
            .with_context(|| format!("replacing {}", self.anchor_path.display()))?;
        if let Ok(mut slot) = self.anchor.lock() {
            *slot = Some(anchor);
        }
        Ok(())
    }
}

fn load_or_create_key(path: &Path) -> anyhow::Result<Ed25519KeyPair> {
    match std::fs::read(path) {
        Ok(bytes) => {
            if let Ok(meta) = std::fs::metadata(path)
                && meta.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(
                    path = %path.display(),
                    "the audit signing key is readable by others; make it 0600"
                );
            }
            Ed25519KeyPair::from_pkcs8(&bytes).map_err(|e| {
                anyhow::anyhow!("{} is not an Ed25519 PKCS#8 key: {e}", path.display())
            })
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("creating {}", parent.display()))?;
            }
            let document = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
                .map_err(|_| anyhow::anyhow!("generating the audit signing key"))?;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("creating the audit signing key {}", path.display()))?;
            file.write_all(document.as_ref())?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "created the audit signing key; back it up and keep it away from the database's operators");
            Ed25519KeyPair::from_pkcs8(document.as_ref())
                .map_err(|e| anyhow::anyhow!("reading the new audit signing key: {e}"))
        }
        Err(error) => Err(error).context(format!("reading {}", path.display())),
    }
}

/// Signs the newest record unless it is signed already; returns its sequence
/// number when a checkpoint was written.
pub async fn sign_latest(pool: &PgPool, signer: &AuditSigner) -> anyhow::Result<Option<i64>> {
    let Some((seq, hash)) = repo::fetch_chain_head(pool).await? else {
        return Ok(None);
    };
    if signer.anchor().is_some_and(|a| a.seq >= seq) {
        return Ok(None);
    }
    // Postgres keeps microseconds: sign exactly what will be stored.
    let signed_at = Utc::now().trunc_subsecs(6);
    let checkpoint = signer.sign(seq, hash, signed_at);
    let inserted = repo::insert_checkpoint(pool, &checkpoint).await?;
    // Recorded only once the checkpoint is committed, so a verification that
    // reads the anchor first always finds its checkpoint.
    signer.record_anchor(Anchor {
        seq,
        hash: hex::encode(&checkpoint.hash),
        signed_at,
    })?;
    Ok(inserted.then_some(seq))
}

/// Signs a checkpoint every `interval` while records arrive.
pub async fn run(pool: PgPool, signer: std::sync::Arc<AuditSigner>, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(error) = sign_latest(&pool, &signer).await {
            tracing::warn!(
                error = format!("{error:#}"),
                "signing an audit checkpoint failed"
            );
        }
    }
}

/// How long one verification may read the chain.
const VERIFY_TIMEOUT: &str = "10min";
/// Checkpoints read per round trip.
const CHECKPOINT_PAGE: i64 = 10_000;

/// Recomputes the chain and checks it against every checkpoint and the anchor.
pub async fn verify(pool: &PgPool, signer: &AuditSigner) -> anyhow::Result<AuditVerification> {
    let _one_at_a_time = signer.verifying.lock().await;
    // The anchor first: its checkpoint is committed before it is recorded,
    // so the snapshot below holds it unless someone removed it.
    let anchor = signer.anchor();
    let mut tx = repo::begin_snapshot(pool, VERIFY_TIMEOUT).await?;

    let mut problems = Vec::new();
    let mut summary = CheckpointSummary::default();
    let mut anchor_found = false;
    let mut after = None;
    loop {
        let page = repo::fetch_checkpoints(&mut *tx, after, CHECKPOINT_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.seq);
        let seqs: Vec<i64> = page.iter().map(|c| c.seq).collect();
        let hashes: std::collections::HashMap<i64, Vec<u8>> =
            repo::fetch_hashes_at(&mut *tx, &seqs)
                .await?
                .into_iter()
                .collect();
        for checkpoint in &page {
            match signer.signature_valid(checkpoint) {
                None => {
                    summary.unverifiable += 1;
                    continue;
                }
                Some(false) => {
                    problems.push(AuditProblem::BadSignature {
                        seq: checkpoint.seq,
                    });
                    continue;
                }
                Some(true) => {}
            }
            if anchor
                .as_ref()
                .is_some_and(|a| a.seq == checkpoint.seq && a.hash == hex::encode(&checkpoint.hash))
            {
                anchor_found = true;
            }
            match hashes.get(&checkpoint.seq) {
                None => problems.push(AuditProblem::RecordsMissing {
                    seq: checkpoint.seq,
                }),
                Some(hash) if *hash != checkpoint.hash => {
                    problems.push(AuditProblem::CheckpointMismatch {
                        seq: checkpoint.seq,
                    })
                }
                Some(_) => {
                    summary.verified += 1;
                    summary.latest_seq = Some(checkpoint.seq);
                    summary.latest_at = Some(checkpoint.signed_at);
                }
            }
        }
        if (page.len() as i64) < CHECKPOINT_PAGE {
            break;
        }
    }
    if let Some(anchor) = anchor
        && !anchor_found
    {
        problems.push(AuditProblem::CheckpointsMissing { seq: anchor.seq });
    }
    let chain = repo::verify_audit_chain(&mut *tx, summary.latest_seq).await?;
    tx.commit().await?;
    if let Some(seq) = chain.first_broken {
        problems.push(AuditProblem::ChainBroken { seq });
    }
    summary.unanchored = chain.after;
    problems.sort_by_key(problem_seq);
    problems.dedup();
    Ok(AuditVerification {
        checked: chain.checked,
        intact: problems.is_empty(),
        first_broken_seq: chain.first_broken,
        checkpoints: summary,
        problems,
    })
}

fn problem_seq(problem: &AuditProblem) -> i64 {
    match problem {
        AuditProblem::ChainBroken { seq }
        | AuditProblem::CheckpointMismatch { seq }
        | AuditProblem::RecordsMissing { seq }
        | AuditProblem::BadSignature { seq }
        | AuditProblem::CheckpointsMissing { seq } => *seq,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_every_field_of_the_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let signer = AuditSigner::open(&dir.path().join("key.p8"), &[]).unwrap();
        let at = Utc::now().trunc_subsecs(6);
        let checkpoint = signer.sign(7, vec![1; 32], at);
        assert_eq!(signer.signature_valid(&checkpoint), Some(true));
        for forged in [
            StoredCheckpoint {
                seq: 8,
                ..checkpoint.clone()
            },
            StoredCheckpoint {
                hash: vec![2; 32],
                ..checkpoint.clone()
            },
            StoredCheckpoint {
                signed_at: at + chrono::Duration::microseconds(1),
                ..checkpoint.clone()
            },
        ] {
            assert_eq!(signer.signature_valid(&forged), Some(false));
        }
        let unknown = StoredCheckpoint {
            key_id: "0011223344556677".into(),
            ..checkpoint
        };
        assert_eq!(signer.signature_valid(&unknown), None);
    }

    #[test]
    fn the_key_is_created_private_and_read_back_the_same() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit").join("key.p8");
        let first = AuditSigner::open(&path, &[]).unwrap().public_key();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = AuditSigner::open(&path, &[]).unwrap().public_key();
        assert_eq!(first, again);
        // Another instance's key is believed once configured.
        let other_dir = tempfile::tempdir().unwrap();
        let other = AuditSigner::open(&other_dir.path().join("k.p8"), &[]).unwrap();
        let at = Utc::now().trunc_subsecs(6);
        let theirs = other.sign(3, vec![9; 32], at);
        let mine = AuditSigner::open(&path, &[other.public_key().public_key]).unwrap();
        assert_eq!(mine.signature_valid(&theirs), Some(true));
        assert!(AuditSigner::open(&path, &["not hex".into()]).is_err());
    }
}
