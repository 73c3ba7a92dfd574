//! The storage contract. `habilis-store` implements it for SQLite and PostgreSQL; the
//! domain services below only ever see these traits.
//!
//! A service opens a [`Transaction`], checks its rules against what it reads there,
//! writes its change and its trace, and commits: the change and its trace land together
//! or not at all. Dropping a transaction without `commit` rolls it back.

use std::future::Future;

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::error::StoreError;
use crate::records::{
    AccessRequest, AccessRequestId, Account, AccountId, AccountStatus, Amendment, ChangeRequest, ChangeRequestId, Contact,
    ContactId, Convention, Grant, GrantId, GrantState, Group, GroupId, LinkId, LoginThrottle, Mandate, MandateId, Membership,
    Organisation, OrganisationId, OutboxMessage, PasswordLink, PendingStep, Query, QueryId, Role, Service, ServiceContract, ServiceId,
    SecondFactor, ServiceClient, OidcKey, AuthCode, RefreshFamily, Rotation, Taken, TokenPerson, ServiceRole, ServiceRoleId, Session, SessionId, Subscription, SubscriptionChange,
};
use crate::records::{Alert, AlertFilter, AlertId, AlertRules, Incident, IncidentId, IncidentStep, Outage, OutageId, Campaign, CampaignId, Decision, Proof, Review, ReviewId, ReviewNotice};
use crate::records::{ScimExtra, ScimToken, ScimTokenId};
use crate::trace::{Checkpoint, TraceEntry, TraceQuery, TraceRecord};

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// One committed change of rights: the organisation whose rights changed (`None`: the
/// catalogue — services, roles, clients), or `everything` when notifications may have been
/// missed; and this process's count of changes when it was sent (`0` when it came from
/// another instance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RightsChange {
    pub organisation: Option<OrganisationId>,
    pub everything: bool,
    pub version: u64,
}

/// The head of one trace chain: its last sequence number and seal.
#[derive(Debug, Clone)]
pub struct ChainHead {
    pub chain_id: Uuid,
    pub seq: i64,
    pub seal: Vec<u8>,
}

/// Where a purge cuts one chain: its records up to `seq` (whose seal is `seal`) are older
/// than the cut-off; `count` of them are still stored.
#[derive(Debug, Clone)]
pub struct TraceCut {
    pub chain_id: Uuid,
    pub seq: i64,
    pub seal: Vec<u8>,
    pub count: i64,
}

/// A database holding the whole product.
pub trait Store: Clone + Send + Sync + 'static {
    /// The transaction type of this backend.
    type Tx: Transaction;
    /// Changes of rights committed (by this process, and on PostgreSQL by any instance):
    /// which organisation's grants, groups, people, contracts or subscriptions changed.
    fn rights_changes(&self) -> tokio::sync::broadcast::Receiver<RightsChange>;
    /// How many changes of rights this process has committed (for read-your-writes).
    fn rights_version(&self) -> u64;
    /// A number that changes whenever a commit may have changed who is signed in — any
    /// write transaction not marked `quiet`, here or (PostgreSQL `NOTIFY`) on another
    /// instance. A session read when it had one value is still valid while it has it.
    fn identity_epoch(&self) -> u64;
    /// Start hearing the changes other instances commit (PostgreSQL `LISTEN`); once per
    /// process, idempotent. SQLite has no other instance.
    fn listen_to_other_instances(&self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Begin a transaction that will write (on SQLite it takes the write lock at once, so
    /// that a read-then-write never fails half-way on a concurrent writer).
    fn begin(&self) -> impl Future<Output = StoreResult<Self::Tx>> + Send;
    /// Begin a read-only unit of work (it may still be committed or dropped).
    fn read(&self) -> impl Future<Output = StoreResult<Self::Tx>> + Send;
    /// The session whose token has the digest `token_hash`, with its account (and roles)
    /// and its organisation, read in one statement: one snapshot, one exchange with the
    /// database (what a signed-in request reads when its person is not in memory). `None`
    /// when no such session is stored, or its account or organisation is gone.
    fn signed_in(&self, token_hash: &[u8]) -> impl Future<Output = StoreResult<Option<(Session, Account, Organisation)>>> + Send;
    /// A sign-in's first read, one statement outside any transaction: the throttle of `key`
    /// (`None`: no attempt counted yet) and the account whose login is `login` (with its
    /// roles), if any.
    fn sign_in_state(&self, key: &str, login: Option<&str>) -> impl Future<Output = StoreResult<(Option<LoginThrottle>, Option<Account>)>> + Send;
    /// Store `now` as the throttle of `key` only if it is still `was` (`None`: no row yet),
    /// in one statement committed on its own (PostgreSQL: without waiting for the disk, as a
    /// reservation alone is harmless to lose in a crash of the database server); `false`, and
    /// nothing written, when another attempt changed it first. A compare-and-set: every
    /// reservation is decided on the exact state it replaces, as under a row lock.
    fn swap_throttle(&self, key: &str, was: Option<&LoginThrottle>, now: &LoginThrottle) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Whether the database answers.
    fn ping(&self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Append entries that stand alone (no change goes with them: the reads' traces,
    /// group-committed by `TraceBatcher`), each sealed in its chain, in as few round trips
    /// as the backend allows; durable when it returns. Never bumps the identity epoch.
    fn append_trace_batch(&self, entries: &[TraceEntry]) -> impl Future<Output = StoreResult<()>> + Send;
    /// The heads of all trace chains.
    fn trace_heads(&self) -> impl Future<Output = StoreResult<Vec<ChainHead>>> + Send;
    /// Up to `limit` records of `chain_id` with `seq > after_seq`, in `seq` order.
    fn trace_page(
        &self,
        chain_id: Uuid,
        after_seq: i64,
        limit: i64,
    ) -> impl Future<Output = StoreResult<Vec<TraceRecord>>> + Send;
    /// SQLite: copy the write-ahead log back into the database and empty it, so that it
    /// cannot grow while readers keep overlapping (after each purge batch, and every minute
    /// in `serve`). PostgreSQL: nothing.
    fn checkpoint_wal(&self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Traces matching `q`, newest first (the viewer, R62).
    fn trace_search(&self, q: &TraceQuery) -> impl Future<Output = StoreResult<Vec<TraceRecord>>> + Send;
    /// For each chain with records older than `cutoff` (micros): where a purge cuts it.
    fn trace_cuts(&self, cutoff: i64) -> impl Future<Output = StoreResult<Vec<TraceCut>>> + Send;
    /// Record a signed checkpoint.
    fn insert_checkpoint(&self, c: &Checkpoint) -> impl Future<Output = StoreResult<()>> + Send;
    /// Every checkpoint, by chain then position.
    fn trace_checkpoints(&self) -> impl Future<Output = StoreResult<Vec<Checkpoint>>> + Send;
    /// Remove up to `limit` of the lowest records of `chain` with `seq <= up_to` and
    /// `at < cutoff`, in one short transaction; returns how many went.
    fn delete_trace_batch(&self, chain: Uuid, up_to: i64, cutoff: i64, limit: i64) -> impl Future<Output = StoreResult<u64>> + Send;
    /// PostgreSQL: create the trail's monthly partitions from `now`'s month to
    /// `months_ahead` later (moving any rows the default partition holds for them);
    /// returns how many were created. SQLite: nothing.
    fn prepare_trace_partitions(&self, now: time::OffsetDateTime, months_ahead: u32) -> impl Future<Output = StoreResult<u32>> + Send;
    /// PostgreSQL: drop the monthly partitions that end at or before `cutoff` (micros);
    /// returns (partitions, rows). SQLite: (0, 0).
    fn drop_trace_partitions(&self, cutoff: i64, dry_run: bool) -> impl Future<Output = StoreResult<(u32, u64)>> + Send;
    /// Remove (or count, on a dry run) the grants that ended before `cutoff` / `cutoff_date`
    /// with their queries, the withdrawn mandates nothing refers to any more, and the
    /// periods of group membership that ended before `cutoff`, in one transaction with
    /// `trace` (its detail filled with the counts); returns (grants, mandates, memberships).
    fn purge_ended_rights(
        &self,
        cutoff: i64,
        cutoff_date: time::Date,
        dry_run: bool,
        trace: Option<&TraceEntry>,
    ) -> impl Future<Output = StoreResult<(u64, u64, u64)>> + Send;
}

/// One transaction. Every method runs inside it; the methods are grouped by aggregate
/// in the supertraits, so that each backend implements one group per file.
pub trait Transaction: OrganisationTx + SessionTx + ContractTx + RightsTx + RequestTx + TrailTx + OidcTx + ReviewTx + AlertTx + DeskTx + ScimTx {
    /// Declare that this transaction changes no session, account, role or organisation —
    /// only traces, idle-time touches, uses of grants or service tokens — so that its
    /// commit does not make the signed-in people be read again. A promise of the caller.
    fn quiet(&mut self);
    /// Declare that losing this transaction in a crash of the database server harms no one
    /// (an attempt given back to the sign-in throttle): PostgreSQL then commits it
    /// without waiting for its log to reach the disk; the next durable commit of any
    /// transaction writes it there too. Ignored when the transaction writes a trace: a trace
    /// is durable before anything is answered. SQLite's commits never wait for the disk
    /// (`synchronous = NORMAL`), so nothing changes there. A promise of the caller.
    fn unsynced(&mut self);
    /// Mark the point a unit of work inside this transaction (an imported line) can be
    /// undone to: `undo_to_mark` forgets what followed, `keep_since_mark` keeps it. Marks
    /// do not nest.
    fn mark(&mut self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Undo everything since the last `mark` (the transaction stays usable).
    fn undo_to_mark(&mut self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Keep what was done since the last `mark`.
    fn keep_since_mark(&mut self) -> impl Future<Output = StoreResult<()>> + Send;
    /// Make every change of this transaction durable.
    fn commit(self) -> impl Future<Output = StoreResult<()>> + Send;
    /// A value of the installation's key/value settings.
    fn meta(&mut self, key: &str) -> impl Future<Output = StoreResult<Option<String>>> + Send;
    /// Set an installation setting.
    fn set_meta(&mut self, key: &str, value: &str) -> impl Future<Output = StoreResult<()>> + Send;
    /// How many organisations exist.
    fn count_organisations(&mut self) -> impl Future<Output = StoreResult<i64>> + Send;
    /// How many accounts exist.
    fn count_accounts(&mut self) -> impl Future<Output = StoreResult<i64>> + Send;
}

/// Organisations, their people and directory contacts.
pub trait OrganisationTx: Send + Sized {
    /// The prefix of an organisation's logins, once it has one.
    fn login_prefix(&mut self, id: OrganisationId) -> impl Future<Output = StoreResult<Option<String>>> + Send;
    /// Give an organisation its login prefix if it has none and no other organisation has
    /// this one; returns whether this call did.
    fn claim_login_prefix(&mut self, id: OrganisationId, prefix: &str) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Record an organisation, created at `at`.
    fn insert_organisation(&mut self, o: &Organisation, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// An organisation by id.
    fn organisation(&mut self, id: OrganisationId) -> impl Future<Output = StoreResult<Option<Organisation>>> + Send;
    /// An organisation by exact name and kind.
    fn organisation_by_name(&mut self, name: &str) -> impl Future<Output = StoreResult<Option<Organisation>>> + Send;
    /// Record an account with its roles.
    fn insert_account(&mut self, a: &Account) -> impl Future<Output = StoreResult<()>> + Send;
    /// An account (with roles) by id.
    fn account(&mut self, id: AccountId) -> impl Future<Output = StoreResult<Option<Account>>> + Send;
    /// The account of `org`, not deactivated and other than `except`, that has this address
    /// (compared without ASCII case), if any.
    fn account_with_email(&mut self, org: OrganisationId, email: &str, except: Option<AccountId>) -> impl Future<Output = StoreResult<Option<AccountId>>> + Send;
    /// An account (with roles) by its normalised login.
    fn account_by_login(&mut self, login: &str) -> impl Future<Output = StoreResult<Option<Account>>> + Send;
    /// Replace the password hash; `must_change` forces a change at next sign-in.
    fn set_password(
        &mut self,
        id: AccountId,
        hash: &str,
        must_change: bool,
        at: OffsetDateTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Record a directory contact.
    fn insert_contact(&mut self, c: &Contact) -> impl Future<Output = StoreResult<()>> + Send;
    /// One directory contact.
    fn contact(&mut self, id: ContactId) -> impl Future<Output = StoreResult<Option<Contact>>> + Send;
    /// Remove a directory contact.
    fn delete_contact(&mut self, id: ContactId) -> impl Future<Output = StoreResult<()>> + Send;
    /// The directory of an organisation.
    fn contacts(&mut self, org: OrganisationId) -> impl Future<Output = StoreResult<Vec<Contact>>> + Send;
    /// Lock an organisation's row until the transaction ends (PostgreSQL `FOR UPDATE`;
    /// SQLite write transactions already run one at a time). Rules that count things of
    /// one partner (its two administrator seats) take this lock before reading.
    fn lock_organisation(&mut self, id: OrganisationId) -> impl Future<Output = StoreResult<()>> + Send;
    /// Replace an organisation's name, SIRET, address and city.
    fn update_organisation(&mut self, o: &Organisation) -> impl Future<Output = StoreResult<()>> + Send;
    /// The partners of a caisse, by name.
    fn partners_of(&mut self, caisse: OrganisationId) -> impl Future<Output = StoreResult<Vec<Organisation>>> + Send;
    /// Every partner of every caisse (the in-memory view is built from them).
    fn all_partners(&mut self) -> impl Future<Output = StoreResult<Vec<Organisation>>> + Send;
    /// The caisses under the national level `national`, by name.
    fn caisses_of(&mut self, national: OrganisationId) -> impl Future<Output = StoreResult<Vec<Organisation>>> + Send;
    /// The accounts (with roles) of an organisation, by name.
    fn accounts_of(&mut self, org: OrganisationId) -> impl Future<Output = StoreResult<Vec<Account>>> + Send;
    /// Replace an account's display name, email and function.
    fn update_account(&mut self, a: &Account) -> impl Future<Output = StoreResult<()>> + Send;
    /// Set an account's phone number.
    fn set_phone(&mut self, id: AccountId, phone: &str) -> impl Future<Output = StoreResult<()>> + Send;
    /// Change an account's status.
    fn set_account_status(&mut self, id: AccountId, status: AccountStatus) -> impl Future<Output = StoreResult<()>> + Send;
    /// Give an account one more role.
    fn add_role(&mut self, id: AccountId, role: Role) -> impl Future<Output = StoreResult<()>> + Send;
    /// Replace an account's roles.
    fn set_account_roles(&mut self, id: AccountId, roles: &[Role]) -> impl Future<Output = StoreResult<()>> + Send;
    /// Require a new password at the next sign-in.
    fn force_password_change(&mut self, id: AccountId) -> impl Future<Output = StoreResult<()>> + Send;
}

/// Sign-in throttling, sessions and one-time links.
pub trait SessionTx: Send + Sized {
    /// Lock (creating it if needed) the throttle row of a login until the transaction ends,
    /// and return it.
    fn lock_throttle(&mut self, login: &str) -> impl Future<Output = StoreResult<LoginThrottle>> + Send;
    /// Store the throttle row of a login.
    fn save_throttle(&mut self, login: &str, t: &LoginThrottle) -> impl Future<Output = StoreResult<()>> + Send;
    /// A right password (or second factor) gives back the attempt reserved for it: one fewer
    /// attempt in the window (never below zero), no failure in a row, no delay. One
    /// statement, which locks the row as `lock_throttle` does; a login with no row is
    /// left without one (nothing to give back).
    fn give_back_attempt(&mut self, login: &str) -> impl Future<Output = StoreResult<()>> + Send;
    /// A right password's bookkeeping and reads at once: `give_back_attempt(login)`, then
    /// the organisation `organisation` and whether `account` has a second factor enrolled
    /// (a confirmed secret). One statement on PostgreSQL (one exchange instead of three).
    fn give_back_attempt_reading(&mut self, login: &str, organisation: OrganisationId, account: AccountId) -> impl Future<Output = StoreResult<Option<(Organisation, bool)>>> + Send;
    /// Record a new session.
    fn insert_session(&mut self, s: &Session) -> impl Future<Output = StoreResult<()>> + Send;
    /// Record a new session opened by a sign-in, and its start as the account's last
    /// sign-in (one statement on PostgreSQL).
    fn insert_signed_in_session(&mut self, s: &Session) -> impl Future<Output = StoreResult<()>> + Send;
    /// A session by the SHA-256 of its token.
    fn session_by_token_hash(&mut self, hash: &[u8]) -> impl Future<Output = StoreResult<Option<Session>>> + Send;
    /// Note activity on sessions (for the idle timeout): each open one of `touches` gets its
    /// instant as its last activity, in a few statements whatever their number.
    fn touch_sessions(&mut self, touches: &[(SessionId, OffsetDateTime)]) -> impl Future<Output = StoreResult<()>> + Send;
    /// End a session if it is still open; returns whether it was.
    fn end_session(
        &mut self,
        id: SessionId,
        at: OffsetDateTime,
        reason: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Open sessions that are past their idle or absolute limit at `now`.
    fn overdue_sessions(
        &mut self,
        now: OffsetDateTime,
        idle: Duration,
        limit: i64,
    ) -> impl Future<Output = StoreResult<Vec<Session>>> + Send;
    /// End every open session of an account but `keep` (if given); returns how many.
    fn end_sessions_of_account(
        &mut self,
        id: AccountId,
        keep: Option<SessionId>,
        at: OffsetDateTime,
        reason: &str,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Record a one-time link.
    fn insert_password_link(&mut self, l: &PasswordLink) -> impl Future<Output = StoreResult<()>> + Send;
    /// A one-time link by the SHA-256 of its token.
    fn password_link_by_token_hash(&mut self, hash: &[u8]) -> impl Future<Output = StoreResult<Option<PasswordLink>>> + Send;
    /// Mark a link used, if it was not; returns whether this call used it.
    fn use_password_link(&mut self, id: LinkId, at: OffsetDateTime) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Set (or clear) the sign-in step a session still owes.
    fn set_session_step(&mut self, id: SessionId, step: Option<PendingStep>) -> impl Future<Output = StoreResult<()>> + Send;
    /// An account's second factor, if it has begun enrolling one.
    fn second_factor(&mut self, account: AccountId) -> impl Future<Output = StoreResult<Option<SecondFactor>>> + Send;
    /// Store an account's second factor (created or replaced).
    fn save_second_factor(&mut self, f: &SecondFactor, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// Record that the code of `step` was used, if no code of this or a later step was:
    /// returns whether this call did (a code is accepted once, even by two requests at once).
    fn use_totp_step(&mut self, account: AccountId, step: i64) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Remove an account's second factor and recovery codes; returns whether it had one.
    fn delete_second_factor(&mut self, account: AccountId) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Replace an account's recovery codes (their SHA-256 digests).
    fn replace_recovery_codes(&mut self, account: AccountId, digests: &[Vec<u8>]) -> impl Future<Output = StoreResult<()>> + Send;
    /// Use a recovery code once; returns whether this call used it.
    fn use_recovery_code(&mut self, account: AccountId, digest: &[u8], at: OffsetDateTime) -> impl Future<Output = StoreResult<bool>> + Send;
    /// How many recovery codes an account has left.
    fn unused_recovery_codes(&mut self, account: AccountId) -> impl Future<Output = StoreResult<i64>> + Send;
}

/// The catalogue, and each partner's convention, contracts, amendments and subscriptions.
pub trait ContractTx: Send + Sized {
    /// Record a service.
    fn insert_service(&mut self, s: &Service) -> impl Future<Output = StoreResult<()>> + Send;
    /// Record a role of a service.
    fn insert_service_role(&mut self, r: &ServiceRole) -> impl Future<Output = StoreResult<()>> + Send;
    /// A service by code.
    fn service_by_code(&mut self, code: &str) -> impl Future<Output = StoreResult<Option<Service>>> + Send;
    /// The roles of a service, by code.
    fn service_roles(&mut self, service: ServiceId) -> impl Future<Output = StoreResult<Vec<ServiceRole>>> + Send;
    /// Record a convention.
    fn insert_convention(&mut self, c: &Convention, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// A partner's conventions, oldest first.
    fn conventions(&mut self, partner: OrganisationId) -> impl Future<Output = StoreResult<Vec<Convention>>> + Send;
    /// Record a service contract.
    fn insert_contract(&mut self, c: &ServiceContract, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// A partner's service contracts, oldest first.
    fn contracts(&mut self, partner: OrganisationId) -> impl Future<Output = StoreResult<Vec<ServiceContract>>> + Send;
    /// Record an amendment.
    fn insert_amendment(&mut self, a: &Amendment, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// A partner's amendments, oldest first.
    fn amendments(&mut self, partner: OrganisationId) -> impl Future<Output = StoreResult<Vec<Amendment>>> + Send;
    /// A service by id.
    fn service(&mut self, id: ServiceId) -> impl Future<Output = StoreResult<Option<Service>>> + Send;
    /// The whole catalogue, by code.
    fn services(&mut self) -> impl Future<Output = StoreResult<Vec<Service>>> + Send;
    /// Register a business service as a client.
    fn insert_client(&mut self, c: &ServiceClient) -> impl Future<Output = StoreResult<()>> + Send;
    /// A client by its public identifier.
    fn client_by_client_id(&mut self, client_id: &str) -> impl Future<Output = StoreResult<Option<ServiceClient>>> + Send;
    /// Every client, by identifier.
    fn clients(&mut self) -> impl Future<Output = StoreResult<Vec<ServiceClient>>> + Send;
    /// Replace a client's secret (its digest); returns whether the client exists.
    fn set_client_secret(&mut self, client_id: &str, digest: &[u8]) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Record a subscription or replace the one of the same partner and service (with its
    /// role quotas).
    fn save_subscription(&mut self, s: &Subscription, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// Keep one change of Annex 2.
    fn insert_subscription_change(&mut self, c: &SubscriptionChange) -> impl Future<Output = StoreResult<()>> + Send;
    /// Every change of a partner's Annex 2, oldest first.
    fn subscription_changes(&mut self, partner: OrganisationId) -> impl Future<Output = StoreResult<Vec<SubscriptionChange>>> + Send;
    /// A partner's subscriptions.
    fn subscriptions(&mut self, partner: OrganisationId) -> impl Future<Output = StoreResult<Vec<Subscription>>> + Send;
    /// A partner's subscription to one service.
    fn subscription(&mut self, partner: OrganisationId, service: ServiceId) -> impl Future<Output = StoreResult<Option<Subscription>>> + Send;
}

/// Grants, groups and mandates, and the holders quotas count.
pub trait RightsTx: Send + Sized {
    /// The distinct people of `org` holding `service` (in `role`, if given) on `today`,
    /// through active grants that have not ended.
    fn holders(
        &mut self,
        org: OrganisationId,
        service: ServiceId,
        role: Option<ServiceRoleId>,
        today: time::Date,
    ) -> impl Future<Output = StoreResult<Vec<AccountId>>> + Send;
    /// Record a grant.
    fn insert_grant(&mut self, g: &Grant) -> impl Future<Output = StoreResult<()>> + Send;
    /// One grant.
    fn grant(&mut self, id: GrantId) -> impl Future<Output = StoreResult<Option<Grant>>> + Send;
    /// The grants of an organisation, newest first.
    fn grants_of(&mut self, org: OrganisationId) -> impl Future<Output = StoreResult<Vec<Grant>>> + Send;
    /// Change a grant's state (and when it ended, by whom).
    fn set_grant_state(
        &mut self,
        id: GrantId,
        state: GrantState,
        ended: Option<(OffsetDateTime, AccountId)>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Record a mandate.
    fn insert_mandate(&mut self, m: &Mandate) -> impl Future<Output = StoreResult<()>> + Send;
    /// The mandates of an organisation (withdrawn ones included).
    fn mandates_of(&mut self, org: OrganisationId) -> impl Future<Output = StoreResult<Vec<Mandate>>> + Send;
    /// Note when grants were last used by their services (each only moves forward).
    fn record_grant_uses(&mut self, uses: &[(GrantId, OffsetDateTime)]) -> impl Future<Output = StoreResult<()>> + Send;
    /// Change a mandate's scope, powers and parent (an edit).
    fn update_mandate(&mut self, m: &Mandate) -> impl Future<Output = StoreResult<()>> + Send;
    /// Mark mandates withdrawn.
    fn withdraw_mandates(&mut self, ids: &[MandateId], at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// Set (with a reason) or clear the caisse suspension mark of a grant.
    fn set_caisse_suspension(&mut self, grant: GrantId, reason: Option<&str>) -> impl Future<Output = StoreResult<()>> + Send;
    /// The state a grant had when the caisse suspended it (call before clearing the mark).
    fn state_before_caisse(&mut self, grant: GrantId) -> impl Future<Output = StoreResult<Option<GrantState>>> + Send;
    /// Record a group.
    fn insert_group(&mut self, g: &Group, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// One group.
    fn group(&mut self, id: GroupId) -> impl Future<Output = StoreResult<Option<Group>>> + Send;
    /// The groups of an organisation, by name.
    fn groups_of(&mut self, org: OrganisationId) -> impl Future<Output = StoreResult<Vec<Group>>> + Send;
    /// The account ids of a group's members.
    fn members(&mut self, group: GroupId) -> impl Future<Output = StoreResult<Vec<AccountId>>> + Send;
    /// Add a member.
    fn add_member(&mut self, group: GroupId, member: AccountId, by: AccountId, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// Remove a member (their period of membership ends, and is kept); returns whether
    /// they were one.
    fn remove_member(&mut self, group: GroupId, member: AccountId, by: AccountId, at: OffsetDateTime) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Every period of membership of a person, ended ones included, oldest first.
    fn memberships_of(&mut self, account: AccountId) -> impl Future<Output = StoreResult<Vec<Membership>>> + Send;
    /// Rename a group.
    fn rename_group(&mut self, id: GroupId, name: &str) -> impl Future<Output = StoreResult<()>> + Send;
    /// Delete a group and its memberships (their periods end, and are kept).
    fn delete_group(&mut self, id: GroupId, by: AccountId, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// Set (or clear) a grant's end date.
    fn set_grant_end(&mut self, id: GrantId, ends_on: Option<time::Date>) -> impl Future<Output = StoreResult<()>> + Send;
    /// The grants a group holds.
    fn grants_of_group(&mut self, group: GroupId) -> impl Future<Output = StoreResult<Vec<Grant>>> + Send;
}

/// What waits for an answer or a delivery: the outbox, administrator change requests, right-of-access requests and the caisse's queries.
pub trait RequestTx: Send + Sized {
    /// Queue a message in the outbox.
    fn insert_outbox(&mut self, m: &OutboxMessage) -> impl Future<Output = StoreResult<()>> + Send;
    /// The newest messages of the outbox, for organisations under `caisse` (its own and
    /// its partners'), newest first.
    fn outbox_of(&mut self, caisse: OrganisationId, limit: i64) -> impl Future<Output = StoreResult<Vec<OutboxMessage>>> + Send;
    /// Claim up to `limit` pending messages due at `now`, pushing their next attempt to
    /// `lease_until` so no other instance takes them meanwhile.
    fn claim_outbox(
        &mut self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: i64,
    ) -> impl Future<Output = StoreResult<Vec<OutboxMessage>>> + Send;
    /// Store a message's delivery state (status, attempts, next attempt, error, sent at).
    fn finish_outbox(&mut self, m: &OutboxMessage) -> impl Future<Output = StoreResult<()>> + Send;
    /// Every message, newest first.
    fn outbox_all(&mut self, limit: i64) -> impl Future<Output = StoreResult<Vec<OutboxMessage>>> + Send;
    /// Record a right-of-access request.
    fn insert_access_request(&mut self, r: &AccessRequest) -> impl Future<Output = StoreResult<()>> + Send;
    /// One right-of-access request.
    fn access_request(&mut self, id: AccessRequestId) -> impl Future<Output = StoreResult<Option<AccessRequest>>> + Send;
    /// Save a request's status and dates.
    fn save_access_request(&mut self, r: &AccessRequest) -> impl Future<Output = StoreResult<()>> + Send;
    /// An organisation's right-of-access requests, newest first.
    fn access_requests_of(&mut self, org: OrganisationId) -> impl Future<Output = StoreResult<Vec<AccessRequest>>> + Send;
    /// Record a query.
    fn insert_query(&mut self, q: &Query) -> impl Future<Output = StoreResult<()>> + Send;
    /// One query.
    fn query(&mut self, id: QueryId) -> impl Future<Output = StoreResult<Option<Query>>> + Send;
    /// Store a query's status, answer, closing and automatic suspension.
    fn save_query(&mut self, q: &Query) -> impl Future<Output = StoreResult<()>> + Send;
    /// The queries of a caisse's partners, newest first.
    fn queries_of_caisse(&mut self, caisse: OrganisationId) -> impl Future<Output = StoreResult<Vec<Query>>> + Send;
    /// The queries of one partner, newest first.
    fn queries_of_partner(&mut self, partner: OrganisationId) -> impl Future<Output = StoreResult<Vec<Query>>> + Send;
    /// Open queries asking for automatic suspension, past their due date, not yet enforced.
    fn queries_to_enforce(&mut self, today: time::Date) -> impl Future<Output = StoreResult<Vec<Query>>> + Send;
    /// Record an administrator change request.
    fn insert_change_request(&mut self, r: &ChangeRequest) -> impl Future<Output = StoreResult<()>> + Send;
    /// One change request.
    fn change_request(&mut self, id: ChangeRequestId) -> impl Future<Output = StoreResult<Option<ChangeRequest>>> + Send;
    /// The change requests of a caisse's partners, pending first then newest.
    fn change_requests_of_caisse(&mut self, caisse: OrganisationId) -> impl Future<Output = StoreResult<Vec<ChangeRequest>>> + Send;
    /// The change requests of one partner, newest first.
    fn change_requests_of_partner(&mut self, partner: OrganisationId) -> impl Future<Output = StoreResult<Vec<ChangeRequest>>> + Send;
    /// Store the decision on a request (status, who, when, reason).
    fn save_change_request_decision(&mut self, r: &ChangeRequest) -> impl Future<Output = StoreResult<()>> + Send;
}

/// The audit trail: appending a sealed entry to its chain.
pub trait TrailTx: Send + Sized {
    /// Append an entry to its organisation's chain, sealed with the store's trace key.
    /// The record returned is the one sealed now. It may be written only with the commit
    /// (both backends); if another transaction (of this process or another instance) moved
    /// the chain's head meanwhile, it is sealed again then,
    /// and the stored record's number and seals differ from those returned (the entry is the
    /// same, its instant possibly moved up to the chain's last). Read the trail, not this
    /// record, for what was stored.
    fn append_trace(&mut self, e: &TraceEntry) -> impl Future<Output = StoreResult<TraceRecord>> + Send;
    /// Append many entries, each to its chain, in their order: the same seals as one
    /// `append_trace` after the other, in a few statements per chain (group commit).
    fn append_traces(&mut self, entries: &[TraceEntry]) -> impl Future<Output = StoreResult<()>> + Send;
    /// The most recent traces of an organisation (newest first), for tests and dashboards.
    fn recent_traces(
        &mut self,
        org: Option<OrganisationId>,
        limit: i64,
    ) -> impl Future<Output = StoreResult<Vec<TraceRecord>>> + Send;
}

/// The OpenID Connect provider's keys, codes and refresh tokens (issue 13).
pub trait OidcTx: Send + Sized {
    /// Every signing key not yet removed, newest first.
    fn oidc_keys(&mut self) -> impl Future<Output = StoreResult<Vec<OidcKey>>> + Send;
    /// Store a new signing key.
    fn insert_oidc_key(&mut self, k: &OidcKey) -> impl Future<Output = StoreResult<()>> + Send;
    /// Retire, at `at`, every key but `keep` that is not retired yet; returns how many.
    fn retire_oidc_keys(&mut self, keep: &str, at: OffsetDateTime) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Remove keys retired before `before` (their tokens have all expired).
    fn remove_oidc_keys(&mut self, before: OffsetDateTime) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Store a new authorization code.
    fn insert_auth_code(&mut self, c: &AuthCode) -> impl Future<Output = StoreResult<()>> + Send;
    /// Use the code whose digest is `digest`, once: the first call gets it (and records the
    /// refresh-token family its exchange starts); later calls learn it was spent.
    fn take_auth_code(&mut self, digest: &[u8], at: OffsetDateTime, family: Uuid) -> impl Future<Output = StoreResult<Taken<AuthCode>>> + Send;
    /// Store a new refresh-token family (its first token's digest).
    fn insert_refresh_family(&mut self, f: &RefreshFamily) -> impl Future<Output = StoreResult<()>> + Send;
    /// Renew many families at once, in one statement: each family of `rotations` whose
    /// current digest is the one given, not revoked and not expired at `at`, moves to its
    /// next digest. Returns the families moved, as they are now.
    fn rotate_refresh_families(&mut self, rotations: &[Rotation], at: OffsetDateTime) -> impl Future<Output = StoreResult<Vec<RefreshFamily>>> + Send;
    /// The families `ids` that exist, whatever their state.
    fn refresh_families(&mut self, ids: &[Uuid]) -> impl Future<Output = StoreResult<Vec<RefreshFamily>>> + Send;
    /// The portal sessions among `ids` not ended, each with its person and organisation
    /// (limits are the caller's).
    fn open_sessions_with_people(&mut self, ids: &[SessionId]) -> impl Future<Output = StoreResult<Vec<(Session, TokenPerson)>>> + Send;
    /// Revoke a family if it is not revoked yet; returns 1 if it was revoked now.
    fn revoke_refresh_family(&mut self, family: Uuid, at: OffsetDateTime) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Revoke every refresh-token family issued under a portal session; returns how many.
    fn revoke_refresh_of_session(&mut self, session: SessionId, at: OffsetDateTime) -> impl Future<Output = StoreResult<u64>> + Send;
    /// The person a token speaks of, with their organisation.
    fn token_person(&mut self, id: AccountId) -> impl Future<Output = StoreResult<Option<TokenPerson>>> + Send;
    /// Whether a portal session is still open (not ended; limits are the caller's).
    fn open_session(&mut self, id: SessionId) -> impl Future<Output = StoreResult<Option<Session>>> + Send;
    /// Remove codes and refresh-token families expired before `before`; returns how many.
    fn purge_oidc(&mut self, before: OffsetDateTime) -> impl Future<Output = StoreResult<u64>> + Send;
}

/// The yearly access review (Art. 2.2.2): campaigns, reviews, decisions and proofs.
pub trait ReviewTx: Send + Sized {
    /// Record a campaign.
    fn insert_campaign(&mut self, c: &Campaign) -> impl Future<Output = StoreResult<()>> + Send;
    /// One campaign.
    fn campaign(&mut self, id: CampaignId) -> impl Future<Output = StoreResult<Option<Campaign>>> + Send;
    /// A caisse's campaign for a year, if it opened one.
    fn campaign_of_year(&mut self, caisse: OrganisationId, year: i32) -> impl Future<Output = StoreResult<Option<Campaign>>> + Send;
    /// A caisse's campaigns, newest year first.
    fn campaigns_of(&mut self, caisse: OrganisationId) -> impl Future<Output = StoreResult<Vec<Campaign>>> + Send;
    /// Record a partner's review.
    fn insert_review(&mut self, r: &Review) -> impl Future<Output = StoreResult<()>> + Send;
    /// One review, locked until the end of the transaction (PostgreSQL `FOR UPDATE`; SQLite
    /// writes one at a time anyway): decisions and completion line up.
    fn lock_review(&mut self, id: ReviewId) -> impl Future<Output = StoreResult<Option<Review>>> + Send;
    /// One review.
    fn review(&mut self, id: ReviewId) -> impl Future<Output = StoreResult<Option<Review>>> + Send;
    /// The reviews of a campaign.
    fn reviews_of_campaign(&mut self, campaign: CampaignId) -> impl Future<Output = StoreResult<Vec<Review>>> + Send;
    /// A partner's reviews, newest first.
    fn reviews_of_organisation(&mut self, org: OrganisationId) -> impl Future<Output = StoreResult<Vec<Review>>> + Send;
    /// Record (or replace) a decision.
    fn save_decision(&mut self, d: &Decision) -> impl Future<Output = StoreResult<()>> + Send;
    /// How many decisions each review of a campaign has (reviews without any are absent).
    fn decision_counts(&mut self, campaign: CampaignId) -> impl Future<Output = StoreResult<Vec<(ReviewId, usize)>>> + Send;
    /// A review's decisions.
    fn decisions_of(&mut self, review: ReviewId) -> impl Future<Output = StoreResult<Vec<Decision>>> + Send;
    /// Delegate (`on`) or stop delegating a review's lines within `account`'s mandates.
    fn set_review_delegate(&mut self, review: ReviewId, account: AccountId, on: bool, by: AccountId, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// The managers a review is delegated to.
    fn review_delegates(&mut self, review: ReviewId) -> impl Future<Output = StoreResult<Vec<AccountId>>> + Send;
    /// The reviews delegated to a manager.
    fn reviews_delegated_to(&mut self, account: AccountId) -> impl Future<Output = StoreResult<Vec<Review>>> + Send;
    /// Every review not completed, with its campaign.
    fn open_reviews(&mut self) -> impl Future<Output = StoreResult<Vec<(Review, Campaign)>>> + Send;
    /// Note that a review got `notice` at `at`, unless it already did; returns whether this
    /// call did (so that two instances send it once).
    fn mark_review_notice(&mut self, id: ReviewId, notice: ReviewNotice, at: OffsetDateTime) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Raise a late review's escalation level to `level`, unless it is there already or the
    /// review is completed; returns whether this call did (two instances send it once).
    fn mark_review_escalation(&mut self, id: ReviewId, level: i32) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Mark a review completed with its proof, unless it already is; returns whether this
    /// call did.
    fn complete_review(&mut self, id: ReviewId, at: OffsetDateTime, by: AccountId, proof: &Proof) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// Alerts on atypical use (R24): the caisse's rules, the alerts, and the aggregated reads of
/// the trail that seed the watch at start.
pub trait AlertTx: Send + Sized {
    /// Record an alert, unless one exists for the same person, rule and period; returns
    /// whether this call did.
    fn insert_alert(&mut self, a: &Alert) -> impl Future<Output = StoreResult<bool>> + Send;
    /// One alert.
    fn alert(&mut self, id: AlertId) -> impl Future<Output = StoreResult<Option<Alert>>> + Send;
    /// One alert, locked until the end of the transaction (PostgreSQL `FOR UPDATE`).
    fn lock_alert(&mut self, id: AlertId) -> impl Future<Output = StoreResult<Option<Alert>>> + Send;
    /// A caisse's alerts matching `filter`, newest first.
    fn alerts_of(&mut self, caisse: OrganisationId, filter: &AlertFilter) -> impl Future<Output = StoreResult<Vec<Alert>>> + Send;
    /// How many of a caisse's alerts are open.
    fn open_alert_count(&mut self, caisse: OrganisationId) -> impl Future<Output = StoreResult<i64>> + Send;
    /// Save an alert's status, acknowledgement and actions.
    fn update_alert(&mut self, a: &Alert) -> impl Future<Output = StoreResult<()>> + Send;
    /// A caisse's rules, if it ever set them.
    fn alert_rules(&mut self, caisse: OrganisationId) -> impl Future<Output = StoreResult<Option<AlertRules>>> + Send;
    /// Set a caisse's rules.
    fn save_alert_rules(&mut self, caisse: OrganisationId, rules: &AlertRules, by: AccountId, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// Consultations (successful `http.get` and `service.signin`) traced since `since`
    /// (micros): (person, hour as micros / 3,600,000,000, count).
    fn consultations_since(&mut self, since: i64) -> impl Future<Output = StoreResult<Vec<(AccountId, i64, i64)>>> + Send;
    /// Successful sign-ins traced since `since`: (person, their organisation, address,
    /// last time (micros)), one per person and address.
    fn sign_ins_since(&mut self, since: i64) -> impl Future<Output = StoreResult<Vec<(AccountId, OrganisationId, Option<String>, i64)>>> + Send;
    /// Failed sign-ins on known accounts traced since `since`: (person, at (micros), trace),
    /// oldest first.
    fn failures_since(&mut self, since: i64) -> impl Future<Output = StoreResult<Vec<(AccountId, i64, Uuid)>>> + Send;
}

/// The service desk (Art. 3, 4): incidents with their timeline, and planned outages.
pub trait DeskTx: Send + Sized {
    /// Record an incident.
    fn insert_incident(&mut self, i: &Incident) -> impl Future<Output = StoreResult<()>> + Send;
    /// One incident.
    fn incident(&mut self, id: IncidentId) -> impl Future<Output = StoreResult<Option<Incident>>> + Send;
    /// One incident, locked until the end of the transaction (PostgreSQL `FOR UPDATE`).
    fn lock_incident(&mut self, id: IncidentId) -> impl Future<Output = StoreResult<Option<Incident>>> + Send;
    /// Save an incident's status, team, flags, waiting side, due date and level.
    fn update_incident(&mut self, i: &Incident) -> impl Future<Output = StoreResult<()>> + Send;
    /// A partner's incidents (`Some`) or all of a caisse's (`None`), newest first, closed
    /// ones only if asked.
    fn incidents_of(&mut self, caisse: OrganisationId, partner: Option<OrganisationId>, closed: bool) -> impl Future<Output = StoreResult<Vec<Incident>>> + Send;
    /// The open incidents whose due date is before `today` (ISO dates compare as text).
    fn overdue_incidents(&mut self, today: time::Date) -> impl Future<Output = StoreResult<Vec<Incident>>> + Send;
    /// Append a step to an incident's timeline (its number is the next one).
    fn add_step(&mut self, step: &IncidentStep) -> impl Future<Output = StoreResult<()>> + Send;
    /// An incident's timeline, in order.
    fn steps(&mut self, incident: IncidentId) -> impl Future<Output = StoreResult<Vec<IncidentStep>>> + Send;
    /// Record an outage.
    fn insert_outage(&mut self, o: &Outage) -> impl Future<Output = StoreResult<()>> + Send;
    /// One outage.
    fn outage(&mut self, id: OutageId) -> impl Future<Output = StoreResult<Option<Outage>>> + Send;
    /// Mark an outage cancelled; returns whether this call did.
    fn cancel_outage(&mut self, id: OutageId, at: OffsetDateTime) -> impl Future<Output = StoreResult<bool>> + Send;
    /// The outages not cancelled that end after `after`, soonest first (every caisse's).
    fn outages_ending_after(&mut self, after: OffsetDateTime) -> impl Future<Output = StoreResult<Vec<Outage>>> + Send;
}

/// Provisioning by a partner's directory (SCIM 2.0, R71): its tokens, and the directory's
/// own words for the people and groups it provisions.
pub trait ScimTx: Send + Sized {
    /// Record a new token.
    fn insert_scim_token(&mut self, t: &ScimToken) -> impl Future<Output = StoreResult<()>> + Send;
    /// The token whose secret has this SHA-256.
    fn scim_token_by_hash(&mut self, hash: &[u8]) -> impl Future<Output = StoreResult<Option<ScimToken>>> + Send;
    /// An organisation's tokens, newest first.
    fn scim_tokens_of(&mut self, org: OrganisationId) -> impl Future<Output = StoreResult<Vec<ScimToken>>> + Send;
    /// Revoke a token of `org` that is not revoked yet; returns whether this call did.
    fn revoke_scim_token(&mut self, org: OrganisationId, id: ScimTokenId, by: AccountId, at: OffsetDateTime) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Note a token's use (at most once a minute is enough for the page that shows it).
    fn touch_scim_token(&mut self, id: ScimTokenId, at: OffsetDateTime) -> impl Future<Output = StoreResult<()>> + Send;
    /// What a directory said of the people and groups of `org`, by their id.
    fn scim_extras_of(&mut self, org: OrganisationId) -> impl Future<Output = StoreResult<Vec<(Uuid, ScimExtra)>>> + Send;
    /// Set (or clear, when all is `None`) what a directory said of one person or group.
    fn set_scim_extra(&mut self, org: OrganisationId, id: Uuid, extra: &ScimExtra) -> impl Future<Output = StoreResult<()>> + Send;
}
