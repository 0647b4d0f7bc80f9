//! The recipes (`recipes/`), run with the real proxies: nginx
//! `auth_request` and Caddy `forward_auth` in front of an upstream that
//! echoes the headers it received, the gateway behind them.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cognito_jwt_test_support::{bearer_error, skip_unless_installed};

use super::{
    Answer, Gateway, Process, TOKENS, TempDir, bearer, closed_port_url, echo_upstream, free_port,
    pool_env, pool_env_with_keys, request, seen,
};

const NGINX_CONF: &str = include_str!("../../../recipes/nginx.conf");
const NGINX_AUTH_COMMON: &str = include_str!("../../../recipes/auth_common.conf");
const NGINX_PROTECTED: &str = include_str!("../../../recipes/protected.conf");
const CADDYFILE: &str = include_str!("../../../recipes/Caddyfile");

/// Debian installs nginx in /usr/sbin, which a non-root PATH may lack.
fn nginx_program() -> &'static str {
    if cognito_jwt_test_support::find_program("nginx").is_some() {
        "nginx"
    } else {
        "/usr/sbin/nginx"
    }
}

/// A proxy in front of [`echo_upstream`] and a gateway.
struct Proxy {
    address: SocketAddr,
    _process: Process,
    _dir: TempDir,
}

/// Wait until `address` accepts connections (the proxies print nothing
/// when ready); panics with `log` after a generous while.
fn wait_for(address: SocketAddr, log: impl Fn() -> String) {
    let started = Instant::now();
    while std::net::TcpStream::connect(address).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the proxy did not start: {}",
            log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn fill(
    template: &str,
    listen: SocketAddr,
    gateway: SocketAddr,
    upstream: SocketAddr,
    dir: &TempDir,
) -> String {
    template
        .replace("@LISTEN@", &listen.to_string())
        .replace("@GATEWAY@", &gateway.to_string())
        .replace("@UPSTREAM@", &upstream.to_string())
        .replace("@DIR@", &dir.path().display().to_string())
}

fn start_nginx(gateway: &Gateway, upstream: SocketAddr) -> Proxy {
    let dir = TempDir::new("nginx");
    let listen: SocketAddr = format!("127.0.0.1:{}", free_port())
        .parse()
        .expect("an address");
    for (name, template) in [
        ("nginx.conf", NGINX_CONF),
        ("auth_common.conf", NGINX_AUTH_COMMON),
        ("protected.conf", NGINX_PROTECTED),
    ] {
        std::fs::write(
            dir.path().join(name),
            fill(template, listen, gateway.http, upstream, &dir),
        )
        .expect("write the configuration");
    }
    let process = Process(
        Command::new(nginx_program())
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts"),
    );
    let log_path = dir.path().join("error.log");
    wait_for(listen, || {
        std::fs::read_to_string(&log_path).unwrap_or_default()
    });
    Proxy {
        address: listen,
        _process: process,
        _dir: dir,
    }
}

fn start_caddy(gateway: &Gateway, upstream: SocketAddr) -> Proxy {
    let dir = TempDir::new("caddy");
    let listen: SocketAddr = format!("127.0.0.1:{}", free_port())
        .parse()
        .expect("an address");
    let config = dir.path().join("Caddyfile");
    std::fs::write(
        &config,
        fill(CADDYFILE, listen, gateway.http, upstream, &dir),
    )
    .expect("write the Caddyfile");
    let log_path = dir.path().join("caddy.log");
    let log = std::fs::File::create(&log_path).expect("a log file");
    let process = Process(
        Command::new("caddy")
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&config)
            .env_clear()
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("caddy starts"),
    );
    wait_for(listen, || {
        std::fs::read_to_string(&log_path).unwrap_or_default()
    });
    Proxy {
        address: listen,
        _process: process,
        _dir: dir,
    }
}

fn get(proxy: &Proxy, path: &str, headers: &[(&str, &[u8])]) -> Answer {
    request(proxy.address, "GET", path, headers)
}

/// Every "done when" case of the issue, through `proxy`: `deny` a gateway
/// that refuses anonymous requests, `allow` one that lets them through.
fn done_when(proxy_deny: &Proxy, proxy_allow: &Proxy, which: &str) {
    let valid = bearer(&TOKENS.valid_in_group);
    // A valid token: the upstream sees the identity.
    let answer = get(proxy_deny, "/api/me", &[("Authorization", &valid)]);
    assert_eq!(answer.status, 200, "{which}: {answer:?}");
    assert_eq!(
        seen(&answer, "x-auth-token-use"),
        ["access"],
        "{which}: {answer:?}"
    );
    assert_eq!(seen(&answer, "x-auth-groups"), ["admins"], "{which}");
    assert_eq!(
        seen(&answer, "x-auth-client-id"),
        [super::CLIENT_ID],
        "{which}"
    );
    let sub = seen(&answer, "x-auth-sub");
    assert!(sub.len() == 1 && !sub[0].is_empty(), "{which}: {answer:?}");

    // Forged, expired, wrong client, wrong token use: 401 with the challenge.
    let other_client = super::ISSUER.access_token("someone-elses-client").sign();
    for (case, token) in [
        ("forged", &TOKENS.forged),
        ("expired", &TOKENS.expired),
        ("wrong client", &other_client),
        ("wrong token_use", &TOKENS.wrong_use),
    ] {
        let answer = get(proxy_deny, "/api/me", &[("Authorization", &bearer(token))]);
        assert_eq!(answer.status, 401, "{which}: {case}: {answer:?}");
        let challenge = answer.challenge().unwrap_or("");
        assert_eq!(
            bearer_error(challenge),
            Some("invalid_token"),
            "{which}: {case}"
        );
        assert!(
            !answer.body.contains("x-auth-"),
            "{which}: {case}: reached the upstream"
        );
    }
    let answer = get(proxy_deny, "/api/me", &[]);
    assert_eq!(answer.status, 401, "{which}");
    assert_eq!(answer.challenge(), Some("Bearer realm=\"api\""), "{which}");

    // A route whose check URL requires a group: 403 with its challenge.
    let answer = get(
        proxy_deny,
        "/admin/",
        &[("Authorization", &bearer(&TOKENS.valid))],
    );
    assert_eq!(answer.status, 403, "{which}: {answer:?}");
    assert_eq!(
        bearer_error(answer.challenge().unwrap_or("")),
        Some("insufficient_scope"),
        "{which}"
    );
    let answer = get(proxy_deny, "/admin/", &[("Authorization", &valid)]);
    assert_eq!(answer.status, 200, "{which}: {answer:?}");

    // A malformed request: 400 with its challenge.
    let answer = get(proxy_deny, "/api/me", &[("Authorization", b"Bearer ")]);
    assert_eq!(answer.status, 400, "{which}: {answer:?}");
    assert_eq!(
        bearer_error(answer.challenge().unwrap_or("")),
        Some("invalid_request"),
        "{which}"
    );
    // A second Authorization header through the proxy is refused, never
    // one of them picked.
    let answer = get(
        proxy_deny,
        "/api/me",
        &[("Authorization", &valid), ("Authorization", &valid)],
    );
    assert_eq!(answer.status, 400, "{which}: {answer:?}");

    // A client-sent X-Auth-Sub never reaches the upstream, with or
    // without a token, in both modes.
    let spoof: &[u8] = b"admin-spoofed";
    for proxy in [proxy_deny, proxy_allow] {
        let answer = get(
            proxy,
            "/admin/",
            &[
                ("Authorization", &valid),
                ("X-Auth-Sub", spoof),
                ("x-auth-groups", b"root"),
            ],
        );
        assert_eq!(answer.status, 200, "{which}: {answer:?}");
        assert!(
            !answer.body.contains("admin-spoofed"),
            "{which}: {answer:?}"
        );
        assert_eq!(seen(&answer, "x-auth-groups"), ["admins"], "{which}");
    }
    let answer = get(
        proxy_allow,
        "/api/activities/home",
        &[("X-Auth-Sub", spoof)],
    );
    assert_eq!(answer.status, 200, "{which}: {answer:?}");
    assert!(
        !answer.body.contains("admin-spoofed"),
        "{which}: {answer:?}"
    );
    assert!(
        seen(&answer, "x-auth-sub").iter().all(|v| v.is_empty()),
        "{which}: {answer:?}"
    );
    let answer = get(proxy_deny, "/api/me", &[("X-Auth-Sub", spoof)]);
    assert_eq!(answer.status, 401, "{which}: {answer:?}");

    // Anonymous mode: through with empty identity; a bad token refused.
    let answer = get(proxy_allow, "/api/activities/home", &[]);
    assert_eq!(answer.status, 200, "{which}: {answer:?}");
    assert!(
        seen(&answer, "x-auth-sub").iter().all(|v| v.is_empty()),
        "{which}"
    );
    let answer = get(
        proxy_allow,
        "/api/activities/home",
        &[("Authorization", &bearer(&TOKENS.expired))],
    );
    assert_eq!(answer.status, 401, "{which}: {answer:?}");
    // The client's query never reaches the check URL.
    let answer = get(proxy_deny, "/api/me?anonymous=allow", &[]);
    assert_eq!(answer.status, 401, "{which}: {answer:?}");
}

/// Key set down: 503 with Retry-After from the proxy.
fn unavailable(proxy: &Proxy, which: &str) {
    let answer = get(
        proxy,
        "/api/me",
        &[("Authorization", &bearer(&TOKENS.valid))],
    );
    assert_eq!(answer.status, 503, "{which}: {answer:?}");
    let seconds = answer
        .header("retry-after")
        .and_then(|s| s.parse::<u64>().ok());
    assert!(seconds.is_some_and(|s| s >= 1), "{which}: {answer:?}");
}

fn allow_env() -> Vec<(String, String)> {
    let mut env = pool_env();
    env.push(("GATEWAY_ANONYMOUS".to_owned(), "allow".to_owned()));
    env
}

#[test]
fn nginx_auth_request_recipe() {
    if !skip_unless_installed("nginx_auth_request_recipe", &[nginx_program()]) {
        return;
    }
    let upstream = echo_upstream();
    let deny = Gateway::start(&pool_env());
    let allow = Gateway::start(&allow_env());
    let down = Gateway::start(&pool_env_with_keys(&closed_port_url()));
    let (nginx_deny, nginx_allow, nginx_down) = (
        start_nginx(&deny, upstream),
        start_nginx(&allow, upstream),
        start_nginx(&down, upstream),
    );
    done_when(&nginx_deny, &nginx_allow, "nginx");
    unavailable(&nginx_down, "nginx");
    // The 403 keeps its challenge, the 503 its Retry-After: see above. And
    // an anonymous route behind a denying gateway passes on its own rule.
    let answer = get(&nginx_deny, "/public/", &[]);
    assert_eq!(answer.status, 200, "{answer:?}");
}

#[test]
fn caddy_forward_auth_recipe() {
    if !skip_unless_installed("caddy_forward_auth_recipe", &["caddy"]) {
        return;
    }
    let upstream = echo_upstream();
    let deny = Gateway::start(&pool_env());
    let allow = Gateway::start(&allow_env());
    let down = Gateway::start(&pool_env_with_keys(&closed_port_url()));
    let (caddy_deny, caddy_allow, caddy_down) = (
        start_caddy(&deny, upstream),
        start_caddy(&allow, upstream),
        start_caddy(&down, upstream),
    );
    done_when(&caddy_deny, &caddy_allow, "caddy");
    unavailable(&caddy_down, "caddy");
    let answer = get(&caddy_deny, "/public/", &[]);
    assert_eq!(answer.status, 200, "{answer:?}");
}

/// DPoP through `proxy` (a gateway with nonces behind it): the nonce
/// comes back to the client, a proof is checked against the URI the
/// client sent (the query aside), never against one the client claims in
/// a forwarded header, and a replay or a bearer downgrade is refused.
fn dpop_through(proxy: &Proxy, which: &str) {
    use super::dpop::{bound_token, dpop_scheme, error_of, proof, proof_with_nonce};
    use cognito_jwt_core::Algorithm;
    use cognito_jwt_core::testing::DpopKey;

    let key = DpopKey::generate(Algorithm::ES256);
    let token = bound_token(&key);
    let scheme = dpop_scheme(&token);
    let first = proof(&key, "GET", "/api/me", &token);
    let answer = get(
        proxy,
        "/api/me?page=2",
        &[("Authorization", &scheme), ("DPoP", first.as_bytes())],
    );
    assert_eq!(answer.status, 401, "{which}: {answer:?}");
    assert_eq!(
        error_of(&answer).as_deref(),
        Some("use_dpop_nonce"),
        "{which}"
    );
    let nonce = answer
        .header("dpop-nonce")
        .unwrap_or_else(|| panic!("{which}: no DPoP-Nonce: {answer:?}"))
        .to_owned();

    let good = proof_with_nonce(&key, "/api/me", &token, &nonce);
    let answer = get(
        proxy,
        "/api/me?page=2",
        &[("Authorization", &scheme), ("DPoP", good.as_bytes())],
    );
    assert_eq!(answer.status, 200, "{which}: {answer:?}");
    assert!(
        seen(&answer, "x-auth-sub").iter().any(|s| !s.is_empty()),
        "{which}: {answer:?}"
    );
    let answer = get(
        proxy,
        "/api/me?page=2",
        &[("Authorization", &scheme), ("DPoP", good.as_bytes())],
    );
    assert_eq!(answer.status, 401, "{which} replayed: {answer:?}");
    assert_eq!(error_of(&answer).as_deref(), Some("invalid_dpop_proof"));

    // A proof for another URL, the client claiming that URL itself.
    let elsewhere = key
        .proof(
            "POST",
            &format!("{}/api/elsewhere", super::dpop::PUBLIC_URL),
        )
        .access_token(&token)
        .nonce(&nonce)
        .sign();
    let answer = get(
        proxy,
        "/api/me",
        &[
            ("Authorization", &scheme),
            ("DPoP", elsewhere.as_bytes()),
            ("X-Forwarded-Method", b"POST"),
            ("X-Forwarded-Uri", b"/api/elsewhere"),
        ],
    );
    assert_eq!(answer.status, 401, "{which} spoofed: {answer:?}");
    assert_eq!(error_of(&answer).as_deref(), Some("invalid_dpop_proof"));

    let answer = get(proxy, "/api/me", &[("Authorization", &bearer(&token))]);
    assert_eq!(answer.status, 401, "{which} as bearer: {answer:?}");
    assert_eq!(error_of(&answer).as_deref(), Some("invalid_token"));
}

#[test]
fn nginx_recipe_with_dpop() {
    if !skip_unless_installed("nginx_recipe_with_dpop", &[nginx_program()]) {
        return;
    }
    let upstream = echo_upstream();
    let gateway = Gateway::start(&super::dpop::nonce_env());
    dpop_through(&start_nginx(&gateway, upstream), "nginx");
}

#[test]
fn caddy_recipe_with_dpop() {
    if !skip_unless_installed("caddy_recipe_with_dpop", &["caddy"]) {
        return;
    }
    let upstream = echo_upstream();
    let gateway = Gateway::start(&super::dpop::nonce_env());
    dpop_through(&start_caddy(&gateway, upstream), "caddy");
}
