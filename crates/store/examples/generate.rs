//! Load a large set of rights for the check API's benchmark (issue 13): partners of the
//! demo's caisse, each with its convention, contract, open CDAP subscription and people
//! holding CDAP T1, T2 and T5 — `GRANTS` grants in all — and the client `bench` with the
//! given secret. With `SIGNIN_PASSWORD` set, every person gets that password (one Argon2id
//! hash with the production parameters, shared), for sign-in benchmarks. Run on a database
//! where `habilis demo` ran:
//!   cargo run --release -p habilis-store --example generate -- URL TRACE_KEY_FILE GRANTS SECRET

use std::time::Instant;

use habilis_core::records::*;
use habilis_core::store::*;
use habilis_core::trace::TraceKey;
use habilis_store::Db;
use time::OffsetDateTime;
use time::macros::date;

const PEOPLE_PER_PARTNER: usize = 334;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, key_file, grants, secret] = args.as_slice() else {
        eprintln!("usage: generate URL TRACE_KEY_FILE GRANTS SECRET");
        std::process::exit(2);
    };
    let key = TraceKey::from_hex(&std::fs::read_to_string(key_file).expect("trace key file")).expect("trace key");
    let wanted: usize = grants.parse().expect("GRANTS is a number");
    let db = Db::connect(url, key, 4).await.expect("database");
    db.migrate().await.expect("migrations");
    let start = Instant::now();
    let password_hash = match std::env::var("SIGNIN_PASSWORD") {
        Ok(p) => Some(
            habilis_core::password::PasswordHasher::new(Default::default(), 1).expect("hasher").hash(&p).await.expect("hash"),
        ),
        Err(_) => None,
    };
    let now = OffsetDateTime::now_utc();
    let mut tx = db.begin().await.unwrap();
    let caisse = tx.organisation_by_name("Caf du Nord").await.unwrap().expect("run `habilis demo` first");
    let cdap = tx.service_by_code("CDAP").await.unwrap().expect("CDAP");
    let roles = tx.service_roles(cdap.id).await.unwrap();
    tx.insert_client(&ServiceClient {
        id: ClientId::new(),
        client_id: "bench".into(),
        name: "Banc d'essai".into(),
        service_id: cdap.id,
        secret_digest: habilis_core::token::digest(secret),
        redirect_uris: vec![],
        jwks: None,
        created_at: now,
        disabled_at: None,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let per_partner = PEOPLE_PER_PARTNER * roles.len();
    let partners = wanted.div_ceil(per_partner);
    let mut made = 0usize;
    for p in 0..partners {
        let mut tx = db.begin().await.unwrap();
        let org = Organisation {
            id: OrganisationId::new(),
            kind: OrganisationKind::Partner,
            name: format!("Partenaire d'essai {p:05}"),
            parent_id: Some(caisse.id),
            siret: Some(format!("{:014}", 10_000_000_000_000u64 + p as u64)),
            city: None,
            address: None,
        };
        tx.insert_organisation(&org, now).await.unwrap();
        let conv = Convention { id: ConventionId::new(), partner_id: org.id, number: format!("2017-{}", org.siret.clone().unwrap_or_default()), signed_on: date!(2017 - 05 - 11), signatories: "Le maire".into() };
        tx.insert_convention(&conv, now).await.unwrap();
        tx.insert_contract(
            &ServiceContract { id: ContractId::new(), convention_id: conv.id, partner_id: org.id, mode: ManagementMode::Delegated, signed_on: date!(2017 - 05 - 11), signatories: "Le maire".into() },
            now,
        )
        .await
        .unwrap();
        tx.save_subscription(
            &Subscription {
                id: SubscriptionId::new(),
                partner_id: org.id,
                service_id: cdap.id,
                signed_on: Some(date!(2017 - 05 - 11)),
                formalities_reference: Some("Registre".into()),
                formalities_on: Some(date!(2017 - 04 - 28)),
                available_from: Some(date!(2017 - 05 - 11)),
                max_holders: Some(1_000_000),
                role_quotas: vec![],
            },
            now,
        )
        .await
        .unwrap();
        let mut giver = None;
        for i in 0..PEOPLE_PER_PARTNER {
            if made >= wanted {
                break;
            }
            let a = Account {
                id: AccountId::new(),
                organisation_id: org.id,
                login: format!("p{p}.u{i}"),
                display_name: format!("Agent {p} {i}"),
                email: format!("p{p}.u{i}@essai.invalid"),
                function: None,
                status: AccountStatus::Active,
                password_hash: password_hash.clone(),
                must_change_password: false,
                roles: vec![Role::User],
                last_login_at: None,
                created_at: now,
            };
            tx.insert_account(&a).await.unwrap();
            let by = *giver.get_or_insert(a.id);
            for r in &roles {
                if made >= wanted {
                    break;
                }
                tx.insert_grant(&Grant {
                    id: GrantId::new(),
                    organisation_id: org.id,
                    service_id: cdap.id,
                    service_role_id: r.id,
                    holder_account_id: Some(a.id),
                    holder_group_id: None,
                    created_under: None,
                    purpose: "Essai".into(),
                    starts_on: date!(2020 - 01 - 01),
                    ends_on: None,
                    state: GrantState::Active,
                    created_by: by,
                    created_at: now,
                    ended_at: None,
                    ended_by: None,
                    last_used_at: None,
                    caisse_suspension: None,
                })
                .await
                .unwrap();
                made += 1;
            }
        }
        tx.commit().await.unwrap();
    }
    println!("{made} grants for {partners} partners in {:.1} s", start.elapsed().as_secs_f64());

    // For the token endpoint's benchmark: REFRESH_TOKENS refresh tokens of the client
    // `bench` (`<i as 32 hex digits>.bench-refresh-<i>`), each of a person `p0.u…` and a portal session of
    // their own, as a sign-in through the portal would have left them.
    let wanted_tokens: usize = std::env::var("REFRESH_TOKENS").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut tx = db.begin().await.unwrap();
    let mut people = vec![];
    for i in 0..PEOPLE_PER_PARTNER.min(wanted_tokens.max(1)) {
        if let Some(a) = tx.account_by_login(&format!("p0.u{i}")).await.unwrap() {
            people.push(a);
        }
    }
    for i in 0..wanted_tokens {
        let a = &people[i % people.len()];
        let session = Session {
            id: SessionId::new(),
            account_id: a.id,
            organisation_id: a.organisation_id,
            token_hash: habilis_core::token::digest(&format!("bench-session-{i}")),
            csrf_token: habilis_core::token::new_token(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + time::Duration::hours(12),
            ended_at: None,
            end_reason: None,
            client_addr: None,
            user_agent: None,
            pending_step: None,
        };
        tx.insert_session(&session).await.unwrap();
        // The token is `<family id, 32 hex>.<secret>`; the family id is `i`, so that
        // bench/refresh.lua can write the token.
        tx.insert_refresh_family(&RefreshFamily {
            id: uuid::Uuid::from_u128(i as u128),
            digest: habilis_core::token::digest(&format!("{:032x}.bench-refresh-{i}", i)),
            client_id: "bench".into(),
            account_id: a.id,
            session_id: session.id,
            scope: "openid profile".into(),
            auth_time: now,
            created_at: now,
            rotated_at: now,
            rotations: 0,
            expires_at: now + time::Duration::hours(12),
            revoked_at: None,
        })
        .await
        .unwrap();
        if i % 5000 == 4999 {
            tx.commit().await.unwrap();
            tx = db.begin().await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    if wanted_tokens > 0 {
        println!("{wanted_tokens} refresh tokens of the client bench");
    }
}
