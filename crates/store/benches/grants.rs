//! Throughput of grant creation under concurrency, on SQLite and (when
//! HABILIS_TEST_DATABASE_URL is set) PostgreSQL: 16 concurrent managers' requests, each a
//! full `App::grant` (powers, gate, partner lock, quota count, insert, trace).
//! Run: HABILIS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!      cargo bench -p habilis-store --bench grants

use std::sync::Arc;
use std::time::Instant;

use habilis_core::commands::{Holder, NewGrant};
use habilis_core::app::{App, SessionPolicy, ThrottlePolicy};
use habilis_core::clock::SystemClock;
use habilis_core::commands::UserInput;
use habilis_core::commands::SubscriptionInput;
use habilis_core::password::{PasswordHasher, PasswordPolicy};
use habilis_core::trace::{ClientInfo, TraceKey};
use habilis_store::testing::{backends, fresh};

const PASSWORD: &str = "Tournesol-Bleu-42-Lille";

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        for b in backends() {
            let app = App {
                store: fresh(b, TraceKey::generate()).await.unwrap(),
                clock: Arc::new(SystemClock),
                hasher: PasswordHasher::insecure_for_tests(),
                passwords: PasswordPolicy::default(),
                sessions: SessionPolicy::default(),
                throttle: ThrottlePolicy::default(),
                second_factor: habilis_core::app::SecondFactorPolicy::none(),
                view: habilis_core::view::RightsView::shared(),
                oidc: habilis_core::services::oidc::Provider::shared(),
                presence: habilis_core::presence::Presence::shared(),
                watch: habilis_core::watch::Watch::shared(),
                desk: habilis_core::calendar::DeskPolicy::default(),
                signer: Some(std::sync::Arc::new(habilis_core::trace::CheckpointKey::generate())),
                traces: habilis_core::batch::TraceBatcher::shared(),
            };
            let cl = ClientInfo::default();
            app.load_demo(PASSWORD).await.unwrap();
            let claire = app.login("mons.admin", PASSWORD, &cl).await.unwrap().actor;
            let caf = app.login("caf.admin", PASSWORD, &cl).await.unwrap().actor;
            let sub = SubscriptionInput {
                service_code: "CDAP".into(),
                signed_on: "2017-05-11".into(),
                formalities_reference: "Registre".into(),
                formalities_on: "2017-04-28".into(),
                available_from: "2017-05-11".into(),
                max_holders: "100000".into(),
                role_quotas: vec![],
                // An amendment of the demo's signed Annex 2 (Art. 6).
                amendment_signed_on: "2026-01-15".into(),
            };
            app.record_subscription(&caf, claire.organisation.id, &sub, &cl).await.unwrap();
            let n = 800;
            let mut users = Vec::new();
            for i in 0..n {
                let u = UserInput { first_name: "B".into(), last_name: format!("U{i}"), email: format!("b{i}@m.invalid"), ..Default::default() };
                users.push(app.create_user(&claire, &u, "https://h", &cl).await.unwrap().id);
            }
            let users = Arc::new(users);
            let start = Instant::now();
            let mut tasks = Vec::new();
            for w in 0..16 {
                let (app, claire, users) = (app.clone(), claire.clone(), users.clone());
                tasks.push(tokio::spawn(async move {
                    let mut ok = 0;
                    for i in (w..users.len()).step_by(16) {
                        if app.grant(&claire, &NewGrant { holder: Holder::Person(users[i]), service_code: "CDAP".into(), role_code: "T1".into(), purpose: "Bench".into(), ends_on: "".into() }, &ClientInfo::default()).await.is_ok() {
                            ok += 1;
                        }
                    }
                    ok
                }));
            }
            let mut ok = 0;
            for t in tasks {
                ok += t.await.unwrap();
            }
            let secs = start.elapsed().as_secs_f64();
            println!("{b:?}: {ok}/{n} grants by 16 concurrent workers in {secs:.2} s = {:.0} grants/s (holders counted: {ok})", f64::from(ok) / secs);
        }
    });
}
