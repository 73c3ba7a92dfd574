//! Password policy (CNIL recommendation 2022-100) and Argon2id hashing on dedicated
//! threads, bounded so that a burst of sign-ins neither stalls other requests nor
//! multiplies hashing memory.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version};
use serde::Deserialize;

use crate::error::Error;
pub use crate::values::PasswordProblem;

/// The password rules. CNIL 2022-100: about 80 bits of entropy, e.g. 12 characters with
/// four classes or 14 with three for ordinary users; privileged accounts (managers,
/// caisse staff) get two more characters.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordPolicy {
    pub min_length_four_classes: usize,
    pub min_length_three_classes: usize,
    /// Added to both minimums for managers and caisse staff.
    pub privileged_extra: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_length_four_classes: 12, min_length_three_classes: 14, privileged_extra: 2 }
    }
}

const COMMON: &[&str] = &[
    "password", "motdepasse", "azerty", "qwerty", "123456", "soleil", "bonjour", "doudou",
    "marseille", "loulou", "chouchou", "nicolas", "jetaime", "habilis", "administrateur",
    "admin", "welcome", "letmein", "iloveyou", "mairie", "caisse", "partenaire", "changeme",
    "secret", "caf", "france", "paris", "lille", "printemps", "automne", "hiver", "ete",
];

impl PasswordPolicy {
    /// Check a new password for an account; `personal` lists the login and names, which the
    /// password must not be built on.
    pub fn check(&self, password: &str, privileged: bool, personal: &[&str]) -> Result<(), PasswordProblem> {
        let len = password.chars().count();
        if len > 256 {
            return Err(PasswordProblem::TooLong);
        }
        let extra = if privileged { self.privileged_extra } else { 0 };
        let min4 = self.min_length_four_classes + extra;
        let min3 = self.min_length_three_classes + extra;
        let classes = [
            password.chars().any(|c| c.is_lowercase()),
            password.chars().any(|c| c.is_uppercase()),
            password.chars().any(|c| c.is_numeric()),
            password.chars().any(|c| !c.is_alphanumeric()),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if classes < 3 {
            return Err(PasswordProblem::TooFewClasses);
        }
        let long_enough = if classes == 4 { len >= min4 } else { len >= min3 };
        if !long_enough {
            return Err(PasswordProblem::TooShort { min_four_classes: min4, min_three_classes: min3 });
        }
        // Strip digits and symbols, fold case: "Azerty123456!" is still "azerty".
        let core: String = password.chars().filter(|c| c.is_alphabetic()).flat_map(char::to_lowercase).collect();
        let lowered = password.to_lowercase();
        let common = COMMON.iter().any(|w| core == *w || (w.len() >= 5 && core.len() <= w.len() + 3 && core.contains(w)));
        let personal_hit = personal
            .iter()
            .flat_map(|p| p.split(|c: char| !c.is_alphanumeric()))
            .filter(|p| p.chars().count() >= 4)
            .any(|p| lowered.contains(&p.to_lowercase()));
        if common || personal_hit {
            return Err(PasswordProblem::TooCommon);
        }
        Ok(())
    }
}

/// Argon2id cost parameters, and where the hashing threads run.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct HashingParams {
    /// Memory in KiB (at least 19 MiB = 19456).
    pub memory_kib: u32,
    /// Iterations (at least 2).
    pub iterations: u32,
    /// Lanes (at least 1).
    pub parallelism: u32,
    /// A Linux CPU control group (cgroup v1) marked `cpu.idle = 1` that `serve`'s hashing
    /// threads join at start. Without it, where the kernel groups processes (autogroup),
    /// the threads' own `SCHED_IDLE` only ranks them within the server's group and the
    /// database's processes wait for their time slices during a burst of sign-ins (README,
    /// "Sign-in bursts"). None: not asked. Other commands ignore it.
    pub idle_cgroup: Option<PathBuf>,
}

impl Default for HashingParams {
    fn default() -> Self {
        HashingParams { memory_kib: 19 * 1024, iterations: 2, parallelism: 1, idle_cgroup: None }
    }
}

impl HashingParams {
    /// Refuse parameters below OWASP's minimum (m=19 MiB, t=2, p=1).
    pub fn validate(&self) -> Result<(), String> {
        if self.memory_kib < 19 * 1024 || self.iterations < 2 || self.parallelism < 1 {
            return Err(format!(
                "Argon2id parameters below the minimum (memory_kib >= 19456, iterations >= 2, parallelism >= 1): {self:?}"
            ));
        }
        Ok(())
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// A fixed set of threads that run the hashing. Each thread reuses its own memory, so the
/// process holds at most `threads × memory_kib` for hashing however many sign-ins arrive
/// (tokio's blocking pool would spread the work, and glibc's arenas, over many threads).
struct Workers {
    queue: Mutex<std::sync::mpsc::Sender<Job>>,
}

impl Workers {
    fn start(threads: usize, idle_cgroup: Option<&Path>) -> Result<Self, String> {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let (tid_tx, tid_rx) = std::sync::mpsc::channel::<i64>();
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            let tid_tx = tid_tx.clone();
            std::thread::Builder::new()
                .name(format!("habilis-hash-{i}"))
                .spawn(move || {
                    let _ = tid_tx.send(thread_id());
                    drop(tid_tx);
                    lower_priority();
                    loop {
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return, // the hasher was dropped
                        }
                    }
                })
                .map_err(|e| e.to_string())?;
        }
        drop(tid_tx);
        if let Some(dir) = idle_cgroup {
            // Every thread sends its id before anything else, so this ends once all have.
            let tids: Vec<i64> = tid_rx.iter().collect();
            join_idle_cgroup(dir, &tids)?;
        }
        Ok(Workers { queue: Mutex::new(tx) })
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        self.queue
            .lock()
            .map_err(|_| Error::Internal("hashing queue poisoned".into()))?
            .send(job)
            .map_err(|_| Error::Internal("hashing threads stopped".into()))?;
        rx.await.map_err(|_| Error::Internal("hashing thread failed".into()))
    }
}

/// Put the calling thread below every thread that answers requests: during a burst of
/// sign-ins the hashing takes the CPU the rest leaves, instead of making every other page
/// wait (issue 14). Linux: the `SCHED_IDLE` policy, which any other thread of the same
/// group that wakes preempts at once (nice 19 did not: a burst still multiplied other
/// requests' p99 by 4 to 18); across groups of processes it takes `idle_cgroup`
/// (DECISIONS, "The hashing threads yield to every other thread"). If the kernel refuses
/// the policy, nice 19. Elsewhere nothing changes.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the current thread; the parameter lives on this stack
    // for the call's duration.
    unsafe {
        let param = libc::sched_param { sched_priority: 0 };
        if libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 {
            let _ = libc::setpriority(libc::PRIO_PROCESS, thread_id() as libc::id_t, 19);
        }
    }
}

/// The calling thread's id as the kernel knows it (Linux); 0 elsewhere.
fn thread_id() -> i64 {
    #[cfg(target_os = "linux")]
    // SAFETY: a system call without arguments.
    unsafe {
        libc::syscall(libc::SYS_gettid) as i64
    }
    #[cfg(not(target_os = "linux"))]
    0
}

/// Whether `dir` can take the hashing threads: a cgroup v1 CPU group marked
/// `cpu.idle = 1`, on Linux. Checked by `serve` before it opens the database, and again
/// when the threads join. The reason given is a sentence for the operator.
pub fn check_idle_cgroup(dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    if !cfg!(target_os = "linux") {
        return Err(format!("le groupe de contrôle {shown} (hashing.idle_cgroup) n'existe que sous Linux"));
    }
    match std::fs::read_to_string(dir.join("cpu.idle")) {
        Ok(v) if v.trim() == "1" => {}
        Ok(v) => {
            return Err(format!(
                "le groupe de contrôle {shown} n'est pas marqué inactif (cpu.idle vaut {}, attendu 1 : écrivez 1 dans {shown}/cpu.idle)",
                v.trim()
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "le groupe de contrôle {shown} est introuvable (ou son noyau n'a pas cpu.idle, Linux 5.15 et suivants) : \
                 créez-le avec mkdir, puis écrivez 1 dans {shown}/cpu.idle"
            ));
        }
        Err(e) => return Err(format!("le groupe de contrôle {shown} est illisible ({shown}/cpu.idle : {e})")),
    }
    // Under cgroup v2 a process's threads stay inside its own group: an idle child there
    // yields only to the server's other threads, which SCHED_IDLE already does.
    if dir.join("cgroup.threads").exists() {
        return Err(format!(
            "le groupe de contrôle {shown} est un groupe cgroup v2 : les fils d'un processus y restent dans le groupe du \
             service et n'y céderaient pas le processeur à la base de données ; il faut la hiérarchie cpu de cgroup v1"
        ));
    }
    Ok(())
}

/// Move the threads `tids` into the idle control group `dir` (its `tasks` file): there
/// any thread of another group that wakes takes the CPU from them at once.
fn join_idle_cgroup(dir: &Path, tids: &[i64]) -> Result<(), String> {
    use std::io::Write as _;
    check_idle_cgroup(dir)?;
    let shown = dir.display();
    let file = dir.join("tasks");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&file)
        .map_err(|e| format!("les fils de hachage ne peuvent pas rejoindre le groupe de contrôle {shown} ({} : {e})", file.display()))?;
    for tid in tids {
        // One write per thread: the kernel reads one id per write.
        f.write_all(format!("{tid}\n").as_bytes())
            .map_err(|e| format!("le fil de hachage {tid} n'a pas pu rejoindre le groupe de contrôle {shown} : {e}"))?;
    }
    Ok(())
}

/// Turn transparent huge pages off for this process (Linux; elsewhere nothing changes).
/// The allocator asks for huge pages on its arenas (`madvise`); the kernel then backs each
/// 2 MiB stretch touched with a whole resident page and keeps it when a few small blocks
/// in it stay in use. Measured on SQLite with the bench's data, three seconds after start:
/// 49–55 MiB resident with them, 26–44 MiB with this call first in `main` (DECISIONS,
/// "mimalloc replaces glibc's malloc"); the Argon2id ceiling and `GET /api/v1/me` did not
/// change beyond their noise (issue 14). Called by the server before it starts any thread,
/// and by the hashing bench, so that both meet the same memory.
pub fn small_pages_only() {
    #[cfg(target_os = "linux")]
    // SAFETY: a plain system call on the calling process; no memory is shared.
    unsafe {
        let _ = libc::prctl(libc::PR_SET_THP_DISABLE, 1 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong);
    }
}

/// Hashes and verifies passwords on a few dedicated threads (one per core by default).
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    workers: Arc<Workers>,
    /// A hash of a random password, verified when the login is unknown so that the answer
    /// takes as long as for a wrong password.
    dummy: Arc<String>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher").field("params", &self.params).finish()
    }
}

impl PasswordHasher {
    /// A hasher with the given (validated) parameters and concurrency bound.
    pub fn new(p: HashingParams, concurrency: usize) -> Result<Self, String> {
        p.validate()?;
        Self::build(p, concurrency)
    }

    /// A hasher with parameters below the production minimum, so that tests which sign in
    /// hundreds of times stay fast. Never used by the server.
    #[doc(hidden)]
    pub fn insecure_for_tests() -> Self {
        #[allow(clippy::expect_used)]
        Self::build(HashingParams { memory_kib: 64, iterations: 1, parallelism: 1, idle_cgroup: None }, 2)
            .expect("valid test parameters")
    }

    fn build(p: HashingParams, concurrency: usize) -> Result<Self, String> {
        let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None).map_err(|e| e.to_string())?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let dummy = argon
            .hash_password(crate::token::new_token().as_bytes())
            .map_err(|e| e.to_string())?
            .to_string();
        Ok(PasswordHasher { params, workers: Arc::new(Workers::start(concurrency, p.idle_cgroup.as_deref())?), dummy: Arc::new(dummy) })
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Hash a password into a PHC string.
    pub async fn hash(&self, password: &str) -> Result<String, Error> {
        let argon = self.argon();
        let pw = password.to_string();
        self.workers
            .run(move || argon.hash_password(pw.as_bytes()).map(|h| h.to_string()))
            .await?
            .map_err(|e| Error::Internal(e.to_string()))
    }

    /// Whether `password` matches the PHC string `hash`; with no hash (unknown login or no
    /// password set yet) a dummy hash is checked so the time taken is the same.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, Error> {
        let argon = self.argon();
        let pw = password.to_string();
        let (phc, real) = match hash {
            Some(h) => (h.to_string(), true),
            None => (self.dummy.as_ref().clone(), false),
        };
        let ok = self
            .workers
            .run(move || match PasswordHash::new(&phc) {
                Ok(parsed) => argon.verify_password(pw.as_bytes(), &parsed).is_ok(),
                Err(_) => false,
            })
            .await?;
        Ok(ok && real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn small_pages_only_turns_huge_pages_off() {
        small_pages_only();
        // SAFETY: a plain system call that reads the process's flag.
        let flag = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong, 0 as libc::c_ulong) };
        assert_eq!(flag, 1);
    }

    #[test]
    fn cnil_lengths_and_classes() {
        let p = PasswordPolicy::default();
        assert_eq!(p.check("Abcdefgh1!xy", false, &[]), Ok(()));
        assert!(matches!(p.check("Abcdefgh1!x", false, &[]), Err(PasswordProblem::TooShort { .. })));
        assert!(matches!(p.check("Abcdefgh1!xy", true, &[]), Err(PasswordProblem::TooShort { min_four_classes: 14, .. })));
        assert_eq!(p.check("Abcdefghijklm1", false, &[]), Ok(()));
        assert!(matches!(p.check("Abcdefghijklm1", true, &[]), Err(PasswordProblem::TooShort { .. })));
        assert_eq!(p.check("abcdefghijklmnopqrst", false, &[]), Err(PasswordProblem::TooFewClasses));
    }

    #[test]
    fn common_and_personal_passwords_are_refused() {
        let p = PasswordPolicy::default();
        assert_eq!(p.check("Azerty123456!", false, &[]), Err(PasswordProblem::TooCommon));
        assert_eq!(p.check("Motdepasse2024!", false, &[]), Err(PasswordProblem::TooCommon));
        assert_eq!(p.check("Martin-2026-Lille!x", false, &["claire.martin"]), Err(PasswordProblem::TooCommon));
        assert_eq!(p.check("Tournesol-Bleu-42", false, &["claire.martin"]), Ok(()));
    }

    #[test]
    fn parameters_below_owasp_are_refused() {
        assert!(HashingParams::default().validate().is_ok());
        assert!(HashingParams { memory_kib: 8192, ..Default::default() }.validate().is_err());
        assert!(HashingParams { iterations: 1, ..Default::default() }.validate().is_err());
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let h = PasswordHasher::insecure_for_tests();
        let phc = h.hash("Tournesol-Bleu-42").await.unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(h.verify("Tournesol-Bleu-42", Some(&phc)).await.unwrap());
        assert!(!h.verify("Tournesol-Bleu-43", Some(&phc)).await.unwrap());
        assert!(!h.verify("anything", None).await.unwrap());
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_under_sched_idle() {
        let h = PasswordHasher::insecure_for_tests();
        // SAFETY: a plain system call that reads the calling thread's policy.
        let policy = h.workers.run(|| unsafe { libc::sched_getscheduler(0) }).await.unwrap();
        assert_eq!(policy, libc::SCHED_IDLE);
        // The caller's own thread is left as it was.
        // SAFETY: as above.
        assert_ne!(unsafe { libc::sched_getscheduler(0) }, libc::SCHED_IDLE);
    }

    /// A directory standing for a control group: its `cpu.idle` and an empty `tasks`.
    fn fake_cgroup(name: &str, idle: Option<&str>) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("habilis-cgroup-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(v) = idle {
            std::fs::write(dir.join("cpu.idle"), v).unwrap();
        }
        std::fs::write(dir.join("tasks"), "").unwrap();
        dir
    }

    fn test_params(dir: &Path) -> HashingParams {
        HashingParams { memory_kib: 64, iterations: 1, parallelism: 1, idle_cgroup: Some(dir.to_path_buf()) }
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_join_the_idle_cgroup_named() {
        let dir = fake_cgroup("idle", Some("1\n"));
        let h = PasswordHasher::build(test_params(&dir), 3).unwrap();
        let tasks = std::fs::read_to_string(dir.join("tasks")).unwrap();
        let mut written: Vec<i64> = tasks.lines().map(|l| l.parse().unwrap()).collect();
        written.sort_unstable();
        // Each of the three threads, by its own id, once.
        let mut seen = Vec::new();
        for _ in 0..50 {
            let tid = h.workers.run(thread_id).await.unwrap();
            if !seen.contains(&tid) {
                seen.push(tid);
            }
        }
        assert_eq!(written.len(), 3, "{tasks}");
        assert!(seen.iter().all(|t| written.contains(t)), "{seen:?} not all in {written:?}");
        assert!(!written.contains(&thread_id()));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_cgroup_not_marked_idle_or_missing_refuses_the_start_with_a_sentence() {
        let busy = fake_cgroup("busy", Some("0\n"));
        let e = PasswordHasher::build(test_params(&busy), 2).unwrap_err();
        assert!(e.contains("cpu.idle vaut 0, attendu 1"), "{e}");
        assert_eq!(std::fs::read_to_string(busy.join("tasks")).unwrap(), "");
        let old = fake_cgroup("old", None);
        let e = PasswordHasher::build(test_params(&old), 2).unwrap_err();
        assert!(e.contains("introuvable"), "{e}");
        let gone = old.join("absent");
        let e = PasswordHasher::build(test_params(&gone), 2).unwrap_err();
        assert!(e.contains(&gone.display().to_string()), "{e}");
        // A cgroup v2 group would only rank the threads within the server's own group.
        let v2 = fake_cgroup("v2", Some("1\n"));
        std::fs::write(v2.join("cgroup.threads"), "").unwrap();
        let e = PasswordHasher::build(test_params(&v2), 2).unwrap_err();
        assert!(e.contains("cgroup v2"), "{e}");
        assert_eq!(std::fs::read_to_string(v2.join("cgroup.threads")).unwrap(), "");
        std::fs::remove_dir_all(&v2).unwrap();
        std::fs::remove_dir_all(&busy).unwrap();
        std::fs::remove_dir_all(&old).unwrap();
    }
}
