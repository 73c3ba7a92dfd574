//! Watching for atypical use (R24) as the traces are written, never by rescanning the trail:
//! each sign-in, failed sign-in and consultation is shown to the `Watch` by the service that
//! writes its trace, and the watch answers with the alerts it raises. It keeps per person,
//! in memory, what the rules compare with: the consultations of each day of the history,
//! the networks signed in from lately, the failures of the last hour. At start it is seeded
//! from the trail in three aggregated reads (`App::watch_ready`).
//!
//! The watch decides; the service stores (one alert per person, rule and period: the
//! database's unique key settles two instances raising the same one).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use time::{Date, Duration, OffsetDateTime, Weekday};
use uuid::Uuid;

use crate::clock::to_paris;
use crate::records::{AccountId, AlertFacts, AlertRule, AlertRules, OrganisationId};

/// The most trace ids an alert keeps as evidence.
pub const MAX_EVIDENCE: usize = 50;
/// Below this many active days of history, the volume rule uses its floor alone.
pub const MIN_HISTORY_DAYS: usize = 5;
/// A person's networks are learnt during this many days from their first sign-in seen:
/// no new-network alert before.
pub const LEARNING_DAYS: i64 = 14;
const SHARDS: usize = 16;

/// What happened, as traced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A successful sign-in from `network`, the person's previous one being at `previous`
    /// (or the account's creation when they never signed in).
    SignIn { network: Option<String>, previous: Option<OffsetDateTime> },
    /// A failed sign-in (wrong password) on the account.
    Failure,
    /// A consultation: a page or API read, or a sign-in to a business service.
    Consultation,
}

/// One traced event of a person, shown to the watch.
#[derive(Debug, Clone)]
pub struct Observation {
    pub account: AccountId,
    pub organisation: OrganisationId,
    /// The caisse whose rules apply and who sees the alert.
    pub caisse: OrganisationId,
    pub at: OffsetDateTime,
    /// The trace that records it.
    pub trace: Uuid,
    pub seen: Seen,
}

/// An alert to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raise {
    pub account: AccountId,
    pub organisation: OrganisationId,
    pub caisse: OrganisationId,
    pub rule: AlertRule,
    pub period: String,
    pub facts: AlertFacts,
    pub evidence: Vec<Uuid>,
}

/// What the watch keeps about one person.
#[derive(Debug, Default)]
struct Person {
    /// Consultations per day (Paris), oldest first, the history and today.
    days: VecDeque<(Date, u32)>,
    /// Today's threshold, computed once when the day starts (the history does not move
    /// during the day), and the usual day it comes from.
    threshold: Option<(Date, u32, Option<u32>)>,
    /// The last traces of today's consultations.
    today_evidence: VecDeque<Uuid>,
    volume_raised: Option<Date>,
    off_hours_raised: Option<Date>,
    /// Networks signed in from, with the last day seen.
    networks: HashMap<String, Date>,
    /// The first day a sign-in was seen (the start of the learning period).
    first_sign_in: Option<Date>,
    /// Failed sign-ins within the last hour.
    failures: VecDeque<(OffsetDateTime, Uuid)>,
    failures_raised_at: Option<OffsetDateTime>,
}

/// How long a caisse's rules are used before being read again (a change made on another
/// instance reaches this one within this time; on this one, at once).
pub const RULES_TTL: std::time::Duration = std::time::Duration::from_secs(10);

/// The watch of one process.
#[derive(Debug)]
pub struct Watch {
    shards: Vec<Mutex<HashMap<AccountId, Person>>>,
    /// Set once the watch is seeded from the trail.
    pub seeded: tokio::sync::OnceCell<()>,
    /// Each caisse's rules, with when they were read.
    rules: Mutex<HashMap<OrganisationId, (AlertRules, std::time::Instant)>>,
    /// The networks each organisation's people signed in from, with the last day seen: a
    /// colleague's network (the town hall's) is not new to anyone there.
    org_networks: Mutex<HashMap<OrganisationId, HashMap<String, Date>>>,
}

impl Default for Watch {
    fn default() -> Self {
        Watch {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            seeded: tokio::sync::OnceCell::new(),
            rules: Mutex::new(HashMap::new()),
            org_networks: Mutex::new(HashMap::new()),
        }
    }
}

/// The network an address belongs to: IPv4 /24, IPv6 /48 (an IPv4-mapped IPv6 address as
/// IPv4). Accepts `ip`, `ip:port` and `[ip]:port`; `None` for anything else.
pub fn network_of(addr: &str) -> Option<String> {
    let addr = addr.trim();
    let ip: IpAddr = addr
        .parse()
        .ok()
        .or_else(|| addr.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))?;
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    };
    Some(match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    })
}

fn median(mut v: Vec<u32>) -> Option<u32> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    let upper = v.get(n / 2).copied()?;
    Some(if n % 2 == 1 { upper } else { (v.get(n / 2 - 1).copied().unwrap_or(upper) + upper).div_ceil(2) })
}

fn local_time(t: OffsetDateTime) -> String {
    let p = to_paris(t);
    format!("{} {:02}:{:02}", p.date(), p.hour(), p.minute())
}

impl Watch {
    /// A new watch, to share between the clones of an `App`.
    pub fn shared() -> std::sync::Arc<Watch> {
        std::sync::Arc::new(Watch::default())
    }

    /// `caisse`'s rules if read less than `RULES_TTL` ago.
    pub fn cached_rules(&self, caisse: OrganisationId) -> Option<AlertRules> {
        let m = self.rules.lock().unwrap_or_else(|p| p.into_inner());
        m.get(&caisse).filter(|(_, at)| at.elapsed() < RULES_TTL).map(|(r, _)| r.clone())
    }

    /// Remember `caisse`'s rules as just read (or just changed).
    pub fn keep_rules(&self, caisse: OrganisationId, rules: AlertRules) {
        self.rules.lock().unwrap_or_else(|p| p.into_inner()).insert(caisse, (rules, std::time::Instant::now()));
    }

    #[allow(clippy::indexing_slicing)] // i < SHARDS = shards.len(), by construction
    fn shard(&self, account: AccountId) -> std::sync::MutexGuard<'_, HashMap<AccountId, Person>> {
        let i = (account.0.as_u128() % SHARDS as u128) as usize;
        // A poisoned shard only means a panic elsewhere mid-update of counters: go on.
        self.shards[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// How many people the watch keeps something about.
    pub fn people(&self) -> usize {
        self.shards.iter().map(|s| s.lock().map(|m| m.len()).unwrap_or(0)).sum()
    }

    /// Show `o` to the watch under `rules`; the alerts it raises.
    pub fn observe(&self, rules: &AlertRules, o: &Observation) -> Vec<Raise> {
        let mut shard = self.shard(o.account);
        let p = shard.entry(o.account).or_default();
        let mut raised = Vec::new();
        let raise = |rule, period: String, facts, evidence| Raise {
            account: o.account,
            organisation: o.organisation,
            caisse: o.caisse,
            rule,
            period,
            facts,
            evidence,
        };
        let local = to_paris(o.at);
        let day = local.date();
        match &o.seen {
            Seen::Consultation => {
                let count = p.count(day, rules.volume_history_days);
                p.today_evidence.push_back(o.trace);
                if p.today_evidence.len() > MAX_EVIDENCE {
                    p.today_evidence.pop_front();
                }
                if rules.volume && p.volume_raised != Some(day) {
                    let (threshold, usual) = p.threshold_of(day, rules);
                    if count > threshold {
                        p.volume_raised = Some(day);
                        let facts = AlertFacts { count: Some(count), usual, threshold: Some(threshold), ..Default::default() };
                        raised.push(raise(AlertRule::Volume, day.to_string(), facts, p.today_evidence.iter().copied().collect()));
                    }
                }
            }
            Seen::Failure => {
                p.failures.push_back((o.at, o.trace));
                while p.failures.front().is_some_and(|(t, _)| o.at - *t >= Duration::HOUR) || p.failures.len() > MAX_EVIDENCE {
                    p.failures.pop_front();
                }
                let due = p.failures_raised_at.is_none_or(|r| o.at - r >= Duration::HOUR);
                if rules.failures && due && p.failures.len() >= rules.failures_per_hour.max(1) as usize {
                    p.failures_raised_at = Some(o.at);
                    let facts = AlertFacts { count: Some(p.failures.len() as u32), threshold: Some(rules.failures_per_hour), ..Default::default() };
                    let period = format!("{} {:02}h", day, local.hour());
                    raised.push(raise(AlertRule::Failures, period, facts, p.failures.iter().map(|(_, id)| *id).collect()));
                }
            }
            Seen::SignIn { network, previous } => {
                let weekend = matches!(local.weekday(), Weekday::Saturday | Weekday::Sunday);
                let hour = local.hour();
                let outside = hour < rules.office_start_hour || hour >= rules.office_end_hour || (rules.weekends_off && weekend);
                if rules.off_hours && outside && p.off_hours_raised != Some(day) {
                    p.off_hours_raised = Some(day);
                    let facts = AlertFacts { local_time: Some(local_time(o.at)), ..Default::default() };
                    raised.push(raise(AlertRule::OffHours, day.to_string(), facts, vec![o.trace]));
                }
                if let Some(prev) = previous {
                    let idle = o.at - *prev;
                    if rules.dormant && idle >= Duration::days(i64::from(rules.dormant_days)) {
                        let facts = AlertFacts { idle_days: Some(idle.whole_days()), ..Default::default() };
                        raised.push(raise(AlertRule::Dormant, day.to_string(), facts, vec![o.trace]));
                    }
                }
                if let Some(net) = network {
                    let oldest = day - Duration::days(i64::from(rules.network_days));
                    p.networks.retain(|_, last| *last > oldest);
                    let learnt = p.first_sign_in.is_some_and(|f| day - f >= Duration::days(LEARNING_DAYS));
                    let colleagues = {
                        let mut orgs = self.org_networks.lock().unwrap_or_else(|p| p.into_inner());
                        let known = orgs.entry(o.organisation).or_default();
                        let seen = known.get(net).is_some_and(|last| *last > oldest);
                        known.insert(net.clone(), day);
                        if known.len() > 4096 {
                            known.retain(|_, last| *last > oldest);
                        }
                        seen
                    };
                    if rules.new_network && learnt && !colleagues && !p.networks.contains_key(net) {
                        let facts = AlertFacts { network: Some(net.clone()), count: Some(p.networks.len() as u32), ..Default::default() };
                        raised.push(raise(AlertRule::NewNetwork, format!("{day} {net}"), facts, vec![o.trace]));
                    }
                    p.networks.insert(net.clone(), day);
                }
                p.first_sign_in = Some(p.first_sign_in.map_or(day, |f| f.min(day)));
            }
        }
        raised
    }

    /// Seed the consultations counted in the trail: `count` of them by `account` in the
    /// hour starting at `hour`.
    pub fn seed_consultations(&self, account: AccountId, hour: OffsetDateTime, count: u32, history_days: u32) {
        let mut shard = self.shard(account);
        let p = shard.entry(account).or_default();
        let day = to_paris(hour).date();
        p.add(day, history_days, count);
    }

    /// Seed a sign-in of `account` (of `organisation`) from the trail.
    pub fn seed_sign_in(&self, account: AccountId, organisation: OrganisationId, at: OffsetDateTime, addr: Option<&str>) {
        let day = to_paris(at).date();
        let mut shard = self.shard(account);
        let p = shard.entry(account).or_default();
        p.first_sign_in = Some(p.first_sign_in.map_or(day, |f| f.min(day)));
        let Some(net) = addr.and_then(network_of) else { return };
        let last = p.networks.entry(net.clone()).or_insert(day);
        *last = (*last).max(day);
        drop(shard);
        let mut orgs = self.org_networks.lock().unwrap_or_else(|p| p.into_inner());
        let last = orgs.entry(organisation).or_default().entry(net).or_insert(day);
        *last = (*last).max(day);
    }

    /// Seed a failed sign-in from the trail (of the last hour).
    pub fn seed_failure(&self, account: AccountId, at: OffsetDateTime, trace: Uuid) {
        let mut shard = self.shard(account);
        shard.entry(account).or_default().failures.push_back((at, trace));
    }

    /// Forget everything (a new seeding follows).
    pub fn clear(&self) {
        for s in &self.shards {
            s.lock().unwrap_or_else(|p| p.into_inner()).clear();
        }
        self.org_networks.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

impl Person {
    /// Add `n` consultations to `day`'s counter (the history kept to `history_days`
    /// before it); the day's new count.
    fn add(&mut self, day: Date, history_days: u32, n: u32) -> u32 {
        let oldest = day - Duration::days(i64::from(history_days));
        while self.days.front().is_some_and(|(d, _)| *d < oldest) {
            self.days.pop_front();
        }
        if let Some((_, c)) = self.days.iter_mut().find(|(d, _)| *d == day) {
            *c = c.saturating_add(n);
            return *c;
        }
        // Seeding may come in any order; observing comes in time order.
        let at = self.days.iter().position(|(d, _)| *d > day).unwrap_or(self.days.len());
        self.days.insert(at, (day, n));
        n
    }

    fn count(&mut self, day: Date, history_days: u32) -> u32 {
        if self.days.back().is_some_and(|(d, _)| *d != day) {
            self.today_evidence.clear();
        }
        self.add(day, history_days, 1)
    }

    /// The threshold of `day` and the usual day it comes from.
    fn threshold_of(&mut self, day: Date, rules: &AlertRules) -> (u32, Option<u32>) {
        if let Some((d, t, usual)) = self.threshold
            && d == day
        {
            return (t, usual);
        }
        let history: Vec<u32> = self.days.iter().filter(|(d, c)| *d < day && *c > 0).map(|(_, c)| *c).collect();
        let usual = if history.len() >= MIN_HISTORY_DAYS { median(history) } else { None };
        let threshold = usual.map_or(0, |u| u.saturating_mul(rules.volume_factor)).max(rules.volume_floor);
        self.threshold = Some((day, threshold, usual));
        (threshold, usual)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn networks_are_the_slash_24_or_slash_48() {
        assert_eq!(network_of("192.0.2.17").as_deref(), Some("192.0.2.0/24"));
        assert_eq!(network_of("192.0.2.17:4431").as_deref(), Some("192.0.2.0/24"));
        assert_eq!(network_of("[2001:db8:5:1::7]:443").as_deref(), Some("2001:db8:5::/48"));
        assert_eq!(network_of("::ffff:10.1.2.3").as_deref(), Some("10.1.2.0/24"));
        assert_eq!(network_of("not an address"), None);
    }

    fn obs(account: AccountId, at: OffsetDateTime, seen: Seen) -> Observation {
        let org = OrganisationId(Uuid::nil());
        Observation { account, organisation: org, caisse: org, at, trace: Uuid::now_v7(), seen }
    }

    #[test]
    fn each_rule_raises_once_for_its_period() {
        let w = Watch::default();
        let r = AlertRules::default();
        let a = AccountId::new();
        let sign_in = |net: &str, prev| Seen::SignIn { network: Some(net.into()), previous: prev };
        // Tuesday 1 December 2026, 23:30 in Paris (22:30 UTC): outside the hours.
        let late = datetime!(2026-12-01 22:30 UTC);
        let raised = w.observe(&r, &obs(a, late, sign_in("192.0.2.0/24", Some(late - Duration::days(3)))));
        assert_eq!(raised.iter().map(|x| x.rule).collect::<Vec<_>>(), vec![AlertRule::OffHours]);
        assert_eq!(raised[0].facts.local_time.as_deref(), Some("2026-12-01 23:30"));
        assert!(w.observe(&r, &obs(a, late + Duration::minutes(5), sign_in("192.0.2.0/24", Some(late)))).is_empty(), "once a day");
        // Wednesday 10:00 Paris from another network, after 100 days away: two alerts
        // (the network once the person's are learnt).
        let morning = datetime!(2026-12-02 09:00 UTC);
        w.seed_sign_in(a, OrganisationId::new(), morning - Duration::days(200), None);
        let raised = w.observe(&r, &obs(a, morning, sign_in("198.51.100.0/24", Some(morning - Duration::days(100)))));
        let rules: Vec<_> = raised.iter().map(|x| x.rule).collect();
        assert_eq!(rules, vec![AlertRule::Dormant, AlertRule::NewNetwork]);
        assert_eq!(raised[0].facts.idle_days, Some(100));
        // Failures: the tenth within an hour raises, the eleventh does not.
        let mut got = vec![];
        for i in 0..11 {
            got.push(w.observe(&r, &obs(a, morning + Duration::minutes(i * 5), Seen::Failure)).len());
        }
        assert_eq!(got, vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
        // Switched off, a rule is silent.
        let off = AlertRules { off_hours: false, ..AlertRules::default() };
        let b = AccountId::new();
        assert!(w.observe(&off, &obs(b, late, sign_in("192.0.2.0/24", None))).is_empty());
        // A colleague's network is not new; nor is anything during the learning period.
        let c = AccountId::new();
        w.seed_sign_in(c, OrganisationId(Uuid::nil()), morning - Duration::days(30), Some("192.0.2.1"));
        assert!(w.observe(&r, &obs(c, morning, sign_in("198.51.100.0/24", None))).is_empty(), "a's network, same organisation");
        let d = AccountId::new();
        assert!(w.observe(&r, &obs(d, morning, sign_in("203.0.113.0/24", None))).is_empty(), "first sign-in");
        assert!(w.observe(&r, &obs(d, morning + Duration::days(7), sign_in("203.0.114.0/24", None))).is_empty(), "learning");
        let raised = w.observe(&r, &obs(d, morning + Duration::days(15), sign_in("203.0.115.0/24", None)));
        assert_eq!(raised.iter().map(|x| x.rule).collect::<Vec<_>>(), vec![AlertRule::NewNetwork]);
    }

    #[test]
    fn the_volume_rule_compares_with_the_persons_own_history() {
        let w = Watch::default();
        let r = AlertRules::default();
        let a = AccountId::new();
        let start = datetime!(2026-11-02 09:00 UTC);
        // Ten days of 60 consultations: the usual day is 60, the threshold 4 × 60 = 240.
        for d in 0..10 {
            for i in 0..60 {
                assert!(w.observe(&r, &obs(a, start + Duration::days(d) + Duration::seconds(i), Seen::Consultation)).is_empty());
            }
        }
        let day = start + Duration::days(10);
        let mut first = None;
        for i in 0..400 {
            let raised = w.observe(&r, &obs(a, day + Duration::seconds(i), Seen::Consultation));
            if !raised.is_empty() {
                assert!(first.is_none(), "once a day");
                first = Some((i + 1, raised[0].clone()));
            }
        }
        let (n, alert) = first.expect("raised");
        assert_eq!(n, 241);
        assert_eq!((alert.facts.usual, alert.facts.threshold, alert.facts.count), (Some(60), Some(240), Some(241)));
        assert_eq!(alert.evidence.len(), MAX_EVIDENCE);
        assert_eq!(alert.period, "2026-11-12");
        // A newcomer is held to the floor.
        let b = AccountId::new();
        let raised: usize = (0..201).map(|i| w.observe(&r, &obs(b, day + Duration::seconds(i), Seen::Consultation)).len()).sum();
        assert_eq!(raised, 1);
    }

    #[test]
    fn seeding_from_the_trail_gives_the_same_history_as_observing() {
        let w = Watch::default();
        let r = AlertRules::default();
        let a = AccountId::new();
        let start = datetime!(2026-11-02 09:00 UTC);
        for d in 0..10 {
            w.seed_consultations(a, start + Duration::days(9 - d), 60, r.volume_history_days);
        }
        w.seed_sign_in(a, OrganisationId(Uuid::nil()), start - Duration::days(30), Some("192.0.2.44"));
        let day = start + Duration::days(10);
        let n = (0..300).position(|i| !w.observe(&r, &obs(a, day + Duration::seconds(i), Seen::Consultation)).is_empty());
        assert_eq!(n, Some(240));
        let raised = w.observe(&r, &obs(a, day, Seen::SignIn { network: network_of("192.0.2.9"), previous: Some(day - Duration::days(1)) }));
        assert!(raised.is_empty(), "a known network");
    }

    /// A small deterministic generator (xorshift64*), so that the trail is the same at
    /// every run.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }

    /// 60 days of a generated trail for 400 people who work on weekdays — each with their
    /// own usual volume (10–70 consultations a day, ±40 % from day to day, twice as many
    /// on 3 % of busy days), signing in during the day from their office network (their
    /// home network one day in five), mistyping their password now and then, taking two
    /// weeks off — then 20 anomalies of the five kinds in the last week. Every anomaly
    /// is raised, and the alerts on ordinary behaviour stay within the budget of one per
    /// 1,000 person-days.
    #[test]
    fn a_generated_trail_raises_every_anomaly_within_the_false_positive_budget() {
        use std::collections::HashSet;
        let w = Watch::default();
        let r = AlertRules::default();
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let people: Vec<AccountId> = (0..404).map(|_| AccountId::new()).collect();
        let usual: Vec<u64> = (0..400).map(|_| 10 + rng.below(61)).collect();
        let holiday: Vec<i64> = (0..400).map(|_| rng.below(40) as i64).collect();
        let mut last_sign_in: Vec<Option<OffsetDateTime>> = vec![None; 404];
        // Four people who last signed in 120 days before the trail starts.
        let start = datetime!(2026-09-01 00:00 UTC);
        for d in last_sign_in.iter_mut().skip(400) {
            *d = Some(start - Duration::days(120));
        }
        let mut expected: HashSet<(usize, AlertRule)> = HashSet::new();
        let mut raised: Vec<(usize, AlertRule)> = Vec::new();
        let mut person_days = 0u64;
        let mut observations = 0u64;
        let mut see = |w: &Watch, who: usize, at: OffsetDateTime, seen: Seen, raised: &mut Vec<(usize, AlertRule)>| {
            observations += 1;
            for x in w.observe(&r, &obs(people[who], at, seen)) {
                raised.push((who, x.rule));
            }
        };
        for day in 0..60i64 {
            let date = start + Duration::days(day);
            if matches!(to_paris(date).weekday(), Weekday::Saturday | Weekday::Sunday) {
                continue;
            }
            let anomalous = day >= 55;
            for p in 0..400usize {
                if (holiday[p]..holiday[p] + 14).contains(&day) {
                    continue;
                }
                person_days += 1;
                // Signs in between 06:00 and 16:59 UTC: 07:00–18:59 in Paris, either season.
                let mut at = date + Duration::hours(6 + rng.below(11) as i64) + Duration::minutes(rng.below(60) as i64);
                // The organisation's office network; three in ten work from home on Fridays.
                let friday = to_paris(date).weekday() == Weekday::Friday;
                let mut network = if friday && p % 10 < 3 { format!("home-{p}") } else { format!("office-{}", p / 20) };
                let kind = p % 20;
                if anomalous && day == 55 + (p as i64 % 5) && p < 20 {
                    match kind % 5 {
                        0 => {}
                        1 => {
                            at = date + Duration::hours(1) + Duration::minutes(30); // 02:30 or 03:30 in Paris
                            expected.insert((p, AlertRule::OffHours));
                        }
                        2 => {
                            network = format!("elsewhere-{p}");
                            expected.insert((p, AlertRule::NewNetwork));
                        }
                        3 => {
                            for i in 0..12 {
                                see(&w, p, at - Duration::minutes(40) + Duration::minutes(i * 2), Seen::Failure, &mut raised);
                            }
                            expected.insert((p, AlertRule::Failures));
                        }
                        _ => {}
                    }
                }
                if rng.chance(5) {
                    for i in 0..(1 + rng.below(2) as i64) {
                        see(&w, p, at - Duration::minutes(2 - i), Seen::Failure, &mut raised);
                    }
                }
                see(&w, p, at, Seen::SignIn { network: Some(network), previous: last_sign_in[p] }, &mut raised);
                last_sign_in[p] = Some(at);
                let mut n = usual[p] * (60 + rng.below(81)) / 100;
                if rng.chance(3) {
                    n *= 2;
                }
                if anomalous && day == 55 + (p as i64 % 5) && p < 20 && kind % 5 == 0 {
                    n = (usual[p] * 6).max(250);
                    expected.insert((p, AlertRule::Volume));
                }
                for i in 0..n {
                    see(&w, p, at + Duration::seconds(20 * i as i64), Seen::Consultation, &mut raised);
                }
            }
        }
        // The dormant four come back in the last week.
        for p in 400..404 {
            let at = start + Duration::days(56) + Duration::hours(8);
            see(&w, p, at, Seen::SignIn { network: Some("office-0".into()), previous: last_sign_in[p] }, &mut raised);
            expected.insert((p, AlertRule::Dormant));
        }
        let found: HashSet<(usize, AlertRule)> = raised.iter().copied().collect();
        let missed: Vec<_> = expected.difference(&found).collect();
        assert!(missed.is_empty(), "anomalies not raised: {missed:?}");
        let false_positives: Vec<_> = raised.iter().filter(|x| !expected.contains(x)).collect();
        let budget = person_days / 1000;
        println!(
            "generated trail: {observations} traces, {person_days} person-days, {} anomalies all raised, {} false positives (budget {budget}): {false_positives:?}",
            expected.len(),
            false_positives.len()
        );
        assert!(expected.len() == 20, "{expected:?}");
        assert!(false_positives.len() as u64 <= budget, "{} false positives over {person_days} person-days", false_positives.len());
    }
}
