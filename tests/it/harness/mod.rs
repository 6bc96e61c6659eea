//! The one test harness of the integration tests. Scenario files share
//! helpers only through it (a scenario group's own parent module, such as
//! `hostile.rs` or `operations/mod.rs`, may hold helpers of that group),
//! never by importing from another scenario file.
//!
//! - `gateway.rs` — [`Gateway`]: an `mfa-gate demo` or `serve` process on
//!   free loopback ports ([`free_ports`]), its admin API and support CLI;
//!   [`run_cli`] for one-off commands;
//! - `browser.rs` — [`Browser`]: a browser-like HTTP client (cookies kept,
//!   redirects not followed) and its answer [`Resp`];
//! - `config.rs` — [`ConfigBuilder`]: every `serve` configuration a test
//!   needs, with its key and token files;
//! - `fake_app.rs` (its HTTP side in `fake_app/serve.rs`) — [`FakeApp`]: a
//!   fake upstream app whose whoami answers per session, can be slow or
//!   held, counts its calls, keeps or rotates its session at login, and
//!   echoes what it received ([`Seen`]);
//! - `codes.rs` — TOTP codes computed independently of the code under
//!   test (RFC 6238), and [`codes::wrong_code`];
//! - `race.rs` — [`race::race`]: requests released together, and the
//!   check that they overlapped;
//! - `flows.rs` — what a person does through the demo: [`enroll`],
//!   [`enrolled_and_challenged`], [`submit_code`], [`fail`];
//! - `passkeys.rs` — [`passkeys::Passkey`]: a software authenticator
//!   answering our pages' WebAuthn options, and the passkey flows;
//! - `fronts.rs` — [`Front`]: nginx or Caddy in front of an app, asking a
//!   gateway (forward auth), configured by the recipes of
//!   `docs/behind-a-proxy.md`;
//! - `relay.rs` — [`relay::Relay`]: a TCP relay that can freeze (a frozen
//!   database or a blackholed network, as a gateway sees it).

mod browser;
pub mod codes;
mod config;
mod fake_app;
mod flows;
mod fronts;
mod gateway;
pub mod passkeys;
pub mod race;
pub mod relay;
pub mod sinks;

pub use browser::{Browser, Resp};
pub use config::ConfigBuilder;
pub use fake_app::{FakeApp, Login, Pages, Seen, Whoami};
pub use flows::{
    Enrolled, JIRO, TARO, backup_codes_of, changes_ask_for_a_step_up, enroll,
    enrolled_and_challenged, fail, save_company_setting, set_company_policy, submit_code,
};
pub use fronts::Front;
pub use gateway::{BIN, DEMO_SUPPORT_TOKEN, Gateway, free_ports, log_tail, run_cli};
