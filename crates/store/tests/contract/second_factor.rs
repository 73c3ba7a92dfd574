//! The second factor on both backends (issue 11, R51): a code is accepted once even when
//! two requests bring it at the same instant, and a recovery code likewise.

use habilis_core::app::SecondFactorPolicy;
use habilis_core::records::PendingStep;
use habilis_core::store::*;
use habilis_core::totp;
use habilis_core::Error;
use habilis_store::testing::backends;
use time::Duration;

use super::{PASSWORD, client, env};

#[tokio::test]
async fn a_code_is_accepted_once_even_by_two_requests_at_once() {
    for b in backends() {
        let e = env(b).await;
        e.app.load_demo(PASSWORD).await.unwrap();
        let mut app = e.app.clone();
        app.second_factor = SecondFactorPolicy::default();
        // What is tested is the replay of a code, not the throttle (which the wrong codes
        // of concurrent attempts would reach): no delay here.
        app.throttle = habilis_core::app::ThrottlePolicy { free_failures: 1000, ..Default::default() };

        let first = app.login("mons.manager", PASSWORD, &client()).await.unwrap();
        assert_eq!(first.actor.session.pending_step, Some(PendingStep::Enrolment), "{b:?}");
        app.second_factor_enrolment(&first.actor).await.unwrap();
        let pending = {
            let mut tx = app.store.read().await.unwrap();
            tx.second_factor(first.actor.account.id).await.unwrap().unwrap().pending_secret.unwrap()
        };
        let now = || app.now().unix_timestamp();
        let codes = app.confirm_second_factor(&first.actor, &format!("{:06}", totp::code_at(&pending, totp::step_of(now()))), &client()).await.unwrap();

        e.clock.advance(Duration::seconds(30));
        let code = format!("{:06}", totp::code_at(&pending, totp::step_of(now())));
        for attempt in [code.as_str(), codes[3].as_str()] {
            let mut tasks = Vec::new();
            for _ in 0..8 {
                let app = app.clone();
                let attempt = attempt.to_string();
                tasks.push(tokio::spawn(async move {
                    let s = app.login("mons.manager", PASSWORD, &client()).await?;
                    assert_eq!(s.actor.session.pending_step, Some(PendingStep::SecondFactor));
                    app.verify_second_factor(&s.actor, &attempt, &client()).await
                }));
            }
            let mut accepted = 0;
            for t in tasks {
                match t.await.unwrap() {
                    Ok(()) => accepted += 1,
                    Err(Error::SecondFactorInvalid) => {}
                    Err(other) => panic!("{b:?}: {other:?}"),
                }
            }
            assert_eq!(accepted, 1, "{b:?}: {attempt} accepted exactly once");
        }
    }
}
