//! The task that keeps a list in step with Redis: subscribe, load the
//! whole set, apply messages, load again every half staleness; on any
//! failure, reconnect with back-off and start over.

use std::sync::Arc;
use std::time::Duration;

use cognito_jwt_core::{RevocationEntry, RevocationList};
use futures_util::StreamExt;

use crate::OPERATION_TIMEOUT;
use crate::store::{CHANNEL, RedisStore, describe};

/// The first wait after a failure; doubled up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Keep `list` in step with `store` until the task is aborted.
pub(crate) async fn run(store: Arc<RedisStore>, list: RevocationList) {
    let mut backoff = FIRST_BACKOFF;
    let mut was_down = false;
    loop {
        match follow(&store, &list, &mut was_down).await {
            Ok(never) => match never {},
            Err(failure) => {
                if !was_down {
                    tracing::warn!(
                        failure,
                        "cognito-jwt: lost Redis for revocations; reconnecting (verification \
                         follows the failure policy once the list is stale)"
                    );
                    was_down = true;
                }
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        if !was_down {
            backoff = FIRST_BACKOFF;
        }
    }
}

/// One connection's life: returns only with why it ended.
async fn follow(
    store: &RedisStore,
    list: &RevocationList,
    was_down: &mut bool,
) -> Result<std::convert::Infallible, String> {
    let pubsub = tokio::time::timeout(OPERATION_TIMEOUT, store.client().get_async_pubsub())
        .await
        .map_err(|_| "Redis did not answer in time".to_owned())?
        .map_err(|e| describe(&e))?;
    let (mut sink, mut messages) = pubsub.split();
    tokio::time::timeout(OPERATION_TIMEOUT, sink.subscribe(CHANNEL))
        .await
        .map_err(|_| "Redis did not answer in time".to_owned())?
        .map_err(|e| describe(&e))?;
    // Subscribed first: what is published while the snapshot loads waits
    // in `messages`, and is applied right after it.
    reload(store, list).await?;
    if *was_down {
        tracing::info!("cognito-jwt: Redis is back; the revocation list is in sync");
        *was_down = false;
    }
    let half_staleness = (list.max_staleness() / 2).max(Duration::from_secs(1));
    let mut reload_timer = tokio::time::interval(half_staleness);
    reload_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    reload_timer.tick().await;
    loop {
        tokio::select! {
            message = messages.next() => {
                let Some(message) = message else {
                    return Err("the subscription to Redis ended".to_owned());
                };
                let Ok(json) = std::str::from_utf8(message.get_payload_bytes()) else {
                    continue;
                };
                match RevocationEntry::from_json(json) {
                    Ok(entry) => {
                        if let Err(error) = list.apply(&entry) {
                            tracing::error!(%error, "cognito-jwt: a published revocation could not be held");
                        }
                    }
                    Err(_) => tracing::warn!(
                        "cognito-jwt: a message on the revocation channel is not an entry; ignored"
                    ),
                }
            }
            _ = reload_timer.tick() => reload(store, list).await?,
        }
    }
}

/// Load the whole set into the list, which then counts as in sync.
async fn reload(store: &RedisStore, list: &RevocationList) -> Result<(), String> {
    let entries = tokio::time::timeout(OPERATION_TIMEOUT * 5, store.load_all())
        .await
        .map_err(|_| "Redis did not answer in time".to_owned())?
        .map_err(|e| describe(&e))?;
    if let Err(error) = list.apply_snapshot(entries) {
        // Out of sync until a later load fits: the policy applies.
        tracing::error!(%error, "cognito-jwt: the revocation list cannot hold Redis' entries");
    }
    Ok(())
}
