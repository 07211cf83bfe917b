//! The credential chain: precedence, every environment combination, half-configured sources,
//! profile parsing, the not-found report, and that no secret ever shows in `Debug` or `Display`.
//!
//! Every chain here reads an injected environment and temporary files: never the process
//! environment or the real home directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use codearts::auth::Signer;
use codearts::credentials::{Chain, Credentials, CredentialsError, Resolved, Source, parse_section};
use secrecy::ExposeSecret;

// Recognizable secrets: none of them may appear in any Debug or Display output.
const SK: &str = "SK-SECRET-7f3a9c";
const SECURITY_TOKEN: &str = "SECURITY-TOKEN-SECRET-51be";
const AUTH_TOKEN: &str = "AUTH-TOKEN-SECRET-c0ffee";
const PASSWORD: &str = "PASSWORD-SECRET-h#nter;2";
const SECRETS: &[&str] = &[SK, SECURITY_TOKEN, AUTH_TOKEN, PASSWORD, "SECRET"];

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "`{secret}` leaked into: {text}");
    }
}

/// An injected environment.
fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + use<> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |name| map.get(name).cloned()
}

/// A temporary directory used as `HOME`, with nothing in it unless a test writes a profile.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        Home { dir: tempfile::tempdir().unwrap() }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn profile(&self) -> PathBuf {
        self.path().join(".huaweicloud").join("credentials")
    }

    /// Writes `~/.huaweicloud/credentials`.
    fn write_profile(&self, text: &str) -> PathBuf {
        let path = self.profile();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Writes another file in the directory.
    fn write(&self, name: &str, text: &[u8]) -> PathBuf {
        let path = self.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A chain over `vars` plus `HOME` = this directory.
    fn chain(&self, vars: &[(&str, &str)]) -> Chain {
        let home = self.path().to_str().unwrap().to_string();
        let mut all: Vec<(&str, &str)> = vars.to_vec();
        all.push(("HOME", &home));
        Chain::new().env(env(&all))
    }
}

fn aksk_of(resolved: &Resolved) -> &codearts::auth::AkSk {
    match &resolved.credentials {
        Credentials::AkSk(aksk) => aksk,
        other => panic!("expected AK/SK, got {other:?}"),
    }
}

/// The headers an AK/SK credential actually signs with (proves SK and security token were kept).
fn signed_headers(aksk: &codearts::auth::AkSk) -> reqwest::header::HeaderMap {
    let mut request = http_client().get("https://example.invalid/v3/jobs").build().unwrap();
    Signer::new(aksk.clone()).sign(&mut request, SystemTime::UNIX_EPOCH).unwrap();
    request.headers().clone()
}

fn expect_incomplete(result: Result<Resolved, CredentialsError>) -> (String, String) {
    match result {
        Err(CredentialsError::Incomplete { origin, reason }) => (origin, reason),
        other => panic!("expected Incomplete, got {other:?}"),
    }
}

fn expect_not_found(result: Result<Resolved, CredentialsError>) -> Vec<(String, String)> {
    match result {
        Err(CredentialsError::NotFound { tried }) => tried,
        other => panic!("expected NotFound, got {other:?}"),
    }
}

const FULL_PROFILE: &str = "[basic]\nak = PROFILE-AK\nsk = PROFILE-SK-SECRET\nproject_id = profile-project\n";

// ---------------------------------------------------------------- precedence

#[test]
fn explicit_wins_over_environment_and_profile() {
    let home = Home::new();
    home.write_profile(FULL_PROFILE);
    let resolved = home
        .chain(&[("HUAWEICLOUD_SDK_AK", "ENV-AK"), ("HUAWEICLOUD_SDK_SK", SK), ("HUAWEICLOUD_SDK_PROJECT_ID", "env-p")])
        .explicit(Credentials::token(AUTH_TOKEN))
        .resolve()
        .unwrap();
    assert_eq!(resolved.source, Source::Explicit);
    assert!(matches!(&resolved.credentials, Credentials::Token(t) if t.expose_secret() == AUTH_TOKEN));
    // Nothing is mixed in from the other sources.
    assert_eq!(resolved.project_id, None);
    assert_eq!(resolved.region, None);
    assert_eq!(resolved.iam_endpoint, None);
}

#[test]
fn explicit_wins_even_over_a_broken_environment() {
    let home = Home::new();
    let resolved =
        home.chain(&[("HUAWEICLOUD_SDK_AK", "ENV-AK")]).explicit(Credentials::aksk("CODE-AK", SK)).resolve().unwrap();
    assert_eq!(resolved.source, Source::Explicit);
    assert_eq!(aksk_of(&resolved).ak(), "CODE-AK");
}

#[test]
fn environment_wins_over_profile_and_is_not_mixed_with_it() {
    let home = Home::new();
    home.write_profile("[basic]\nak = PROFILE-AK\nsk = x\nproject_id = profile-project\nregion = eu-west-101\n");
    let resolved = home.chain(&[("HUAWEICLOUD_SDK_AK", "ENV-AK"), ("HUAWEICLOUD_SDK_SK", SK)]).resolve().unwrap();
    assert_eq!(resolved.source, Source::Environment);
    assert_eq!(aksk_of(&resolved).ak(), "ENV-AK");
    assert_eq!(resolved.project_id, None, "the profile's project id is not mixed into environment credentials");
    assert_eq!(resolved.region, None);
}

#[test]
fn profile_is_used_when_nothing_else_is_set() {
    let home = Home::new();
    let path = home.write_profile(
        "[basic]\nak = PROFILE-AK\nsk = PROFILE-SK\nsecurity_token = PROFILE-STS\nproject_id = p1\ndomain_id = d1\n\
         region = cn-north-4\niam_endpoint = https://iam.cn-north-4.myhuaweicloud.com\n",
    );
    let resolved = home.chain(&[]).resolve().unwrap();
    assert_eq!(resolved.source, Source::Profile(path));
    let aksk = aksk_of(&resolved);
    assert_eq!(aksk.ak(), "PROFILE-AK");
    assert_eq!(signed_headers(aksk)["x-security-token"], "PROFILE-STS");
    assert_eq!(resolved.project_id.as_deref(), Some("p1"));
    assert_eq!(resolved.domain_id.as_deref(), Some("d1"));
    assert_eq!(resolved.region.as_deref(), Some("cn-north-4"));
    assert_eq!(resolved.iam_endpoint.as_deref(), Some("https://iam.cn-north-4.myhuaweicloud.com"));
}

#[test]
fn environment_settings_without_credentials_do_not_shadow_the_profile() {
    // Only a region in the environment: the environment has no credentials, the profile is used,
    // and all settings come from the profile.
    let home = Home::new();
    home.write_profile(FULL_PROFILE);
    let resolved = home.chain(&[("HUAWEICLOUD_SDK_REGION", "cn-north-4")]).resolve().unwrap();
    assert!(matches!(resolved.source, Source::Profile(_)));
    assert_eq!(resolved.project_id.as_deref(), Some("profile-project"));
    assert_eq!(resolved.region, None);
}

#[test]
fn credentials_file_variable_overrides_the_home_profile() {
    let home = Home::new();
    home.write_profile(FULL_PROFILE);
    let other = home.write("elsewhere.ini", b"[basic]\nauth_token = FROM-OVERRIDE-FILE\n");
    let resolved = home.chain(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", other.to_str().unwrap())]).resolve().unwrap();
    assert_eq!(resolved.source, Source::Profile(other));
    assert!(matches!(&resolved.credentials, Credentials::Token(t) if t.expose_secret() == "FROM-OVERRIDE-FILE"));
}

#[test]
fn builder_profile_path_overrides_the_variable() {
    let home = Home::new();
    let from_var = home.write("var.ini", b"[basic]\nauth_token = FROM-VAR\n");
    let from_builder = home.write("builder.ini", b"[basic]\nauth_token = FROM-BUILDER\n");
    let resolved = home
        .chain(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", from_var.to_str().unwrap())])
        .profile_path(&from_builder)
        .resolve()
        .unwrap();
    assert_eq!(resolved.source, Source::Profile(from_builder));
}

#[test]
fn userprofile_is_the_home_when_home_is_unset() {
    let home = Home::new();
    let path = home.write_profile(FULL_PROFILE);
    let resolved = Chain::new().env(env(&[("USERPROFILE", home.path().to_str().unwrap())])).resolve().unwrap();
    assert_eq!(resolved.source, Source::Profile(path));
}

// ---------------------------------------------------------------- environment combinations

#[test]
fn env_aksk() {
    let home = Home::new();
    let resolved = home.chain(&[("HUAWEICLOUD_SDK_AK", "AK1"), ("HUAWEICLOUD_SDK_SK", SK)]).resolve().unwrap();
    let aksk = aksk_of(&resolved);
    assert_eq!(aksk.ak(), "AK1");
    let headers = signed_headers(aksk);
    assert!(headers.get("x-security-token").is_none());
    // The SK is the one given: the signature matches one made with it directly.
    assert_eq!(headers["authorization"], signed_headers(&codearts::auth::AkSk::new("AK1", SK))["authorization"]);
}

#[test]
fn env_aksk_with_security_token() {
    let home = Home::new();
    let resolved = home
        .chain(&[
            ("HUAWEICLOUD_SDK_AK", "AK1"),
            ("HUAWEICLOUD_SDK_SK", SK),
            ("HUAWEICLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN),
        ])
        .resolve()
        .unwrap();
    assert_eq!(signed_headers(aksk_of(&resolved))["x-security-token"], SECURITY_TOKEN);
}

#[test]
fn env_static_token() {
    let home = Home::new();
    let resolved = home.chain(&[("HUAWEICLOUD_SDK_AUTH_TOKEN", AUTH_TOKEN)]).resolve().unwrap();
    assert!(matches!(&resolved.credentials, Credentials::Token(t) if t.expose_secret() == AUTH_TOKEN));
    assert_eq!(resolved.credentials.kind(), "token");
}

#[test]
fn env_password_login() {
    let home = Home::new();
    let resolved = home
        .chain(&[
            ("HUAWEICLOUD_SDK_USERNAME", "ci-bot"),
            ("HUAWEICLOUD_SDK_PASSWORD", PASSWORD),
            ("HUAWEICLOUD_SDK_DOMAIN_NAME", "my-account"),
        ])
        .resolve()
        .unwrap();
    match &resolved.credentials {
        Credentials::Password { domain, user, password } => {
            assert_eq!(domain, "my-account");
            assert_eq!(user, "ci-bot");
            assert_eq!(password.expose_secret(), PASSWORD);
        }
        other => panic!("expected password login, got {other:?}"),
    }
}

#[test]
fn env_aksk_wins_over_token_and_password() {
    let home = Home::new();
    let resolved = home
        .chain(&[
            ("HUAWEICLOUD_SDK_AK", "AK1"),
            ("HUAWEICLOUD_SDK_SK", SK),
            ("HUAWEICLOUD_SDK_AUTH_TOKEN", AUTH_TOKEN),
            ("HUAWEICLOUD_SDK_USERNAME", "ci-bot"),
            ("HUAWEICLOUD_SDK_PASSWORD", PASSWORD),
            ("HUAWEICLOUD_SDK_DOMAIN_NAME", "my-account"),
        ])
        .resolve()
        .unwrap();
    assert_eq!(resolved.credentials.kind(), "AK/SK");
}

#[test]
fn env_token_wins_over_password() {
    let home = Home::new();
    let resolved = home
        .chain(&[
            ("HUAWEICLOUD_SDK_AUTH_TOKEN", AUTH_TOKEN),
            ("HUAWEICLOUD_SDK_USERNAME", "ci-bot"),
            ("HUAWEICLOUD_SDK_PASSWORD", PASSWORD),
            ("HUAWEICLOUD_SDK_DOMAIN_NAME", "my-account"),
        ])
        .resolve()
        .unwrap();
    assert_eq!(resolved.credentials.kind(), "token");
}

#[test]
fn env_settings_beside_the_credentials() {
    let home = Home::new();
    let resolved = home
        .chain(&[
            ("HUAWEICLOUD_SDK_AK", "AK1"),
            ("HUAWEICLOUD_SDK_SK", SK),
            ("HUAWEICLOUD_SDK_PROJECT_ID", " 0123456789abcdef0123456789abcdef "),
            ("HUAWEICLOUD_SDK_DOMAIN_ID", "domain-1"),
            ("HUAWEICLOUD_SDK_REGION", "eu-west-101"),
            ("HUAWEICLOUD_SDK_IAM_ENDPOINT", "https://iam.eu-west-101.myhuaweicloud.eu"),
        ])
        .resolve()
        .unwrap();
    assert_eq!(resolved.project_id.as_deref(), Some("0123456789abcdef0123456789abcdef"), "trimmed");
    assert_eq!(resolved.domain_id.as_deref(), Some("domain-1"));
    assert_eq!(resolved.region.as_deref(), Some("eu-west-101"));
    assert_eq!(resolved.iam_endpoint.as_deref(), Some("https://iam.eu-west-101.myhuaweicloud.eu"));
}

#[test]
fn env_region_id_is_the_vendor_alias_of_region() {
    let home = Home::new();
    let base = [("HUAWEICLOUD_SDK_AUTH_TOKEN", AUTH_TOKEN)];

    let alias = [base[0], ("HUAWEICLOUD_SDK_REGION_ID", "cn-north-4")];
    assert_eq!(home.chain(&alias).resolve().unwrap().region.as_deref(), Some("cn-north-4"));

    let agreeing = [base[0], ("HUAWEICLOUD_SDK_REGION_ID", "cn-north-4"), ("HUAWEICLOUD_SDK_REGION", "cn-north-4")];
    assert_eq!(home.chain(&agreeing).resolve().unwrap().region.as_deref(), Some("cn-north-4"));

    let conflicting = [base[0], ("HUAWEICLOUD_SDK_REGION_ID", "cn-north-4"), ("HUAWEICLOUD_SDK_REGION", "cn-east-3")];
    let (origin, reason) = expect_incomplete(home.chain(&conflicting).resolve());
    assert_eq!(origin, "environment");
    assert!(reason.contains("HUAWEICLOUD_SDK_REGION") && reason.contains("HUAWEICLOUD_SDK_REGION_ID"), "{reason}");
}

#[test]
fn env_blank_values_count_as_unset_and_plain_values_are_trimmed() {
    let home = Home::new();
    let tried = expect_not_found(
        home.chain(&[("HUAWEICLOUD_SDK_AK", "   "), ("HUAWEICLOUD_SDK_SK", ""), ("HUAWEICLOUD_SDK_AUTH_TOKEN", "")])
            .resolve(),
    );
    assert_eq!(tried.len(), 3);

    let resolved = home.chain(&[("HUAWEICLOUD_SDK_AK", "  AK1\n"), ("HUAWEICLOUD_SDK_SK", SK)]).resolve().unwrap();
    assert_eq!(aksk_of(&resolved).ak(), "AK1");
}

// ---------------------------------------------------------------- half-configured sources

#[test]
fn env_ak_without_sk_is_an_error_even_with_a_complete_profile() {
    let home = Home::new();
    home.write_profile(FULL_PROFILE);
    let (origin, reason) = expect_incomplete(home.chain(&[("HUAWEICLOUD_SDK_AK", "AK1")]).resolve());
    assert_eq!(origin, "environment");
    assert!(reason.contains("HUAWEICLOUD_SDK_AK is set but HUAWEICLOUD_SDK_SK is not"), "{reason}");
}

#[test]
fn env_sk_without_ak() {
    let home = Home::new();
    let (_, reason) = expect_incomplete(home.chain(&[("HUAWEICLOUD_SDK_SK", SK)]).resolve());
    assert!(reason.contains("HUAWEICLOUD_SDK_SK is set but HUAWEICLOUD_SDK_AK is not"), "{reason}");
    assert_no_secret(&reason);
}

#[test]
fn env_security_token_alone() {
    let home = Home::new();
    let (_, reason) = expect_incomplete(home.chain(&[("HUAWEICLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN)]).resolve());
    assert!(reason.contains("HUAWEICLOUD_SDK_SECURITY_TOKEN"), "{reason}");
}

#[test]
fn env_incomplete_aksk_is_not_skipped_for_a_token() {
    let home = Home::new();
    let (_, reason) = expect_incomplete(
        home.chain(&[("HUAWEICLOUD_SDK_AK", "AK1"), ("HUAWEICLOUD_SDK_AUTH_TOKEN", AUTH_TOKEN)]).resolve(),
    );
    assert!(reason.contains("HUAWEICLOUD_SDK_SK"), "{reason}");
}

#[test]
fn env_user_without_password() {
    let home = Home::new();
    let (origin, reason) = expect_incomplete(home.chain(&[("HUAWEICLOUD_SDK_USERNAME", "ci-bot")]).resolve());
    assert_eq!(origin, "environment");
    assert!(reason.contains("HUAWEICLOUD_SDK_PASSWORD and HUAWEICLOUD_SDK_DOMAIN_NAME not set"), "{reason}");
}

#[test]
fn env_password_without_domain_name() {
    let home = Home::new();
    let (_, reason) = expect_incomplete(
        home.chain(&[("HUAWEICLOUD_SDK_USERNAME", "ci-bot"), ("HUAWEICLOUD_SDK_PASSWORD", PASSWORD)]).resolve(),
    );
    assert!(reason.ends_with("HUAWEICLOUD_SDK_DOMAIN_NAME not set"), "{reason}");
    assert_no_secret(&reason);
}

#[test]
fn profile_ak_without_sk() {
    let home = Home::new();
    let path = home.write_profile("[basic]\nak = PROFILE-AK\n");
    let (origin, reason) = expect_incomplete(home.chain(&[]).resolve());
    assert_eq!(origin, format!("profile {}", path.display()));
    assert!(reason.contains("ak is set but sk is not"), "{reason}");
}

#[test]
fn profile_password_without_user() {
    let home = Home::new();
    home.write_profile(&format!("[basic]\npassword = {PASSWORD}\ndomain_name = acct\n"));
    let error = home.chain(&[]).resolve().unwrap_err();
    let shown = error.to_string();
    assert!(shown.contains("username not set"), "{shown}");
    assert_no_secret(&shown);
    assert_no_secret(&format!("{error:?}"));
}

// ---------------------------------------------------------------- profile parsing

#[test]
fn profile_syntax_comments_whitespace_quotes_and_other_sections() {
    let home = Home::new();
    home.write_profile(&format!(
        "\u{feff}ak = BEFORE-ANY-SECTION\r\n\
         # a comment\r\n\
         ; another comment\r\n\
         [global]\r\n\
         ak = GLOBAL-AK\r\n\
         sk = global-sk\r\n\
         this line is not a pair, but other sections are ignored\r\n\
         \r\n\
         [ Basic ]   ; the section name is case-insensitive\r\n\
         \t AK\t=\t PROFILE-AK  \r\n\
         sk = \"  {SK}  \"\r\n\
         security_token: '{SECURITY_TOKEN}'\r\n\
         project_id =\r\n\
         iam_endpoint = https://iam.cn-north-4.myhuaweicloud.com:443/\r\n\
         derived_auth_service_name = ignored-unknown-key\r\n\
         [other]\r\n\
         project_id = not-this-one\r\n"
    ));
    let resolved = home.chain(&[]).resolve().unwrap();
    let aksk = aksk_of(&resolved);
    assert_eq!(aksk.ak(), "PROFILE-AK");
    let headers = signed_headers(aksk);
    assert_eq!(headers["x-security-token"], SECURITY_TOKEN);
    // The quoted SK keeps its spaces: the signature equals one made with exactly that SK.
    let expected =
        codearts::auth::AkSk::new("PROFILE-AK", format!("  {SK}  ")).with_security_token(SECURITY_TOKEN.to_string());
    assert_eq!(headers["authorization"], signed_headers(&expected)["authorization"]);
    assert_eq!(resolved.project_id, None, "an empty value is unset");
    assert_eq!(resolved.iam_endpoint.as_deref(), Some("https://iam.cn-north-4.myhuaweicloud.com:443/"));
}

#[test]
fn profile_values_keep_comment_characters_and_equals_signs() {
    let text = "[basic]\npassword = a#b ; c=d\nusername=u\ndomain_name=acct\n";
    let basic = parse_section(text, "basic").unwrap().unwrap();
    assert_eq!(basic["password"], "a#b ; c=d");
    assert_eq!(basic["username"], "u");
}

#[test]
fn profile_password_login_and_region_id_key() {
    let home = Home::new();
    home.write_profile(&format!(
        "[basic]\nusername = ci-bot\npassword = {PASSWORD}\ndomain_name = my-account\nregion_id = eu-west-101\n"
    ));
    let resolved = home.chain(&[]).resolve().unwrap();
    assert!(matches!(&resolved.credentials,
        Credentials::Password { domain, user, password }
            if domain == "my-account" && user == "ci-bot" && password.expose_secret() == PASSWORD));
    assert_eq!(resolved.region.as_deref(), Some("eu-west-101"));
}

#[test]
fn profile_basic_section_may_be_split() {
    let text = "[basic]\nak = A\n[other]\nak = B\n[basic]\nsk = S\n";
    let basic = parse_section(text, "basic").unwrap().unwrap();
    assert_eq!(basic["ak"], "A");
    assert_eq!(basic["sk"], "S");
}

#[test]
fn profile_malformed_line_names_the_line_number_not_the_line() {
    let home = Home::new();
    let path = home.write_profile(&format!("# credentials\n[basic]\nak = A\n{SK}\n"));
    match home.chain(&[]).resolve() {
        Err(error @ CredentialsError::Profile { .. }) => {
            let shown = error.to_string();
            assert!(shown.contains("line 4"), "{shown}");
            assert!(shown.contains(&path.display().to_string()), "{shown}");
            assert_no_secret(&shown);
            assert_no_secret(&format!("{error:?}"));
        }
        other => panic!("expected a profile error, got {other:?}"),
    }
}

#[test]
fn profile_duplicate_key_is_an_error() {
    let error = parse_section("[basic]\nak = A\nAK = B\n", "basic").unwrap_err();
    assert!(error.contains("line 3") && error.contains("`ak`"), "{error}");
    // An unknown duplicated "key" might be a pasted secret: it is not named.
    let error = parse_section(&format!("[basic]\n{SK}=1\n{SK}=2\n"), "basic").unwrap_err();
    assert!(error.contains("line 3"), "{error}");
    assert_no_secret(&error);
}

#[test]
fn profile_bad_section_header() {
    let error = parse_section("[basic\nak = A\n", "basic").unwrap_err();
    assert!(error.contains("line 1"), "{error}");
    let error = parse_section("[basic] trailing\n", "basic").unwrap_err();
    assert!(error.contains("line 1"), "{error}");
    let error = parse_section("[basic]\n= value\n", "basic").unwrap_err();
    assert!(error.contains("line 2"), "{error}");
}

#[test]
fn profile_that_is_not_utf8_or_not_a_file() {
    let home = Home::new();
    let binary = home.write("binary", b"[basic]\nak = \xff\xfe\n");
    let error = home.chain(&[]).profile_path(&binary).resolve().unwrap_err();
    assert!(matches!(&error, CredentialsError::Profile { path, .. } if path == &binary), "{error:?}");
    assert!(error.to_string().contains("UTF-8"), "{error}");

    let directory = home.path().to_path_buf();
    let error = home.chain(&[]).profile_path(&directory).resolve().unwrap_err();
    assert!(matches!(&error, CredentialsError::Profile { path, .. } if path == &directory), "{error:?}");
}

// ---------------------------------------------------------------- nothing found

#[test]
fn not_found_names_every_source_and_why() {
    let home = Home::new();
    let error = home.chain(&[]).resolve().unwrap_err();
    let CredentialsError::NotFound { tried } = &error else { panic!("{error:?}") };
    let sources: Vec<&str> = tried.iter().map(|(source, _)| source.as_str()).collect();
    let profile = format!("profile {}", home.profile().display());
    assert_eq!(sources, ["explicit", "environment", profile.as_str()]);
    assert!(tried[1].1.contains("HUAWEICLOUD_SDK_AK"), "{}", tried[1].1);
    assert!(tried[1].1.contains("HUAWEICLOUD_SDK_AUTH_TOKEN"), "{}", tried[1].1);
    assert!(tried[1].1.contains("HUAWEICLOUD_SDK_USERNAME"), "{}", tried[1].1);
    assert_eq!(tried[2].1, "file not found");

    let shown = error.to_string();
    for (source, why) in tried {
        assert!(shown.contains(&format!("{source}: {why}")), "{shown}");
    }
}

#[test]
fn not_found_without_a_home_directory() {
    let tried = expect_not_found(Chain::new().env(env(&[])).resolve());
    assert_eq!(tried[2].0, "profile");
    assert!(tried[2].1.contains("HUAWEICLOUD_SDK_CREDENTIALS_FILE") && tried[2].1.contains("HOME"), "{}", tried[2].1);
}

#[test]
fn not_found_when_the_profile_has_no_basic_section_or_no_credentials() {
    let home = Home::new();
    home.write_profile("[global]\nak = A\nsk = B\n");
    let tried = expect_not_found(home.chain(&[]).resolve());
    assert_eq!(tried[2].1, "no [basic] section");

    home.write_profile("[basic]\nproject_id = p\n");
    let tried = expect_not_found(home.chain(&[]).resolve());
    assert!(tried[2].1.starts_with("none of ak/sk, auth_token, username/password/domain_name"), "{}", tried[2].1);
}

#[test]
fn not_found_for_a_missing_override_file_names_that_file() {
    let home = Home::new();
    home.write_profile(FULL_PROFILE); // not read: the variable points elsewhere
    let missing = home.path().join("missing.ini");
    let tried =
        expect_not_found(home.chain(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", missing.to_str().unwrap())]).resolve());
    assert_eq!(tried[2], (format!("profile {}", missing.display()), "file not found".to_string()));
}

// ---------------------------------------------------------------- secrets

#[test]
fn debug_redacts_every_secret() {
    let all = [
        Credentials::aksk("AK1", SK),
        Credentials::AkSk(codearts::auth::AkSk::new("AK1", SK).with_security_token(SECURITY_TOKEN)),
        Credentials::token(AUTH_TOKEN),
        Credentials::password("my-account", "ci-bot", PASSWORD),
    ];
    for credentials in &all {
        let shown = format!("{credentials:?} {credentials:#?}");
        assert_no_secret(&shown);
        assert!(shown.contains("[REDACTED]"), "{shown}");
    }
    assert!(format!("{:?}", all[3]).contains("ci-bot"), "non-secret fields stay visible");

    for credentials in all {
        let resolved = Resolved {
            credentials: credentials.clone(),
            project_id: Some("p".into()),
            domain_id: None,
            region: None,
            iam_endpoint: None,
            source: Source::Environment,
        };
        assert_no_secret(&format!("{resolved:?} {resolved:#?}"));
        assert_no_secret(&format!("{:?}", Chain::new().env(env(&[])).explicit(credentials)));
    }
}

#[test]
fn resolved_from_every_source_never_shows_a_secret() {
    let home = Home::new();
    home.write_profile(&format!("[basic]\nak = A\nsk = {SK}\nsecurity_token = {SECURITY_TOKEN}\n"));
    let from_profile = home.chain(&[]).resolve().unwrap();
    let from_env = home
        .chain(&[
            ("HUAWEICLOUD_SDK_USERNAME", "u"),
            ("HUAWEICLOUD_SDK_PASSWORD", PASSWORD),
            ("HUAWEICLOUD_SDK_DOMAIN_NAME", "d"),
        ])
        .resolve()
        .unwrap();
    let explicit = home.chain(&[]).explicit(Credentials::token(AUTH_TOKEN)).resolve().unwrap();
    for resolved in [from_profile, from_env, explicit] {
        assert_no_secret(&format!("{resolved:?}"));
        assert_no_secret(&resolved.source.to_string());
    }
}

#[test]
fn no_error_shows_a_secret() {
    let home = Home::new();
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("HUAWEICLOUD_SDK_SK", SK)],
        vec![("HUAWEICLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN)],
        vec![("HUAWEICLOUD_SDK_PASSWORD", PASSWORD)],
        vec![("HUAWEICLOUD_SDK_AK", "A"), ("HUAWEICLOUD_SDK_SECURITY_TOKEN", SECURITY_TOKEN)],
        vec![
            ("HUAWEICLOUD_SDK_AUTH_TOKEN", AUTH_TOKEN),
            ("HUAWEICLOUD_SDK_REGION", "a"),
            ("HUAWEICLOUD_SDK_REGION_ID", "b"),
        ],
    ];
    for vars in cases {
        let error = home.chain(&vars).resolve().unwrap_err();
        assert_no_secret(&error.to_string());
        assert_no_secret(&format!("{error:?}"));
    }
    // Secret-looking garbage in the profile.
    home.write_profile(&format!("[basic]\n{PASSWORD}\n"));
    let error = home.chain(&[]).resolve().unwrap_err();
    assert_no_secret(&error.to_string());
    assert_no_secret(&format!("{error:?}"));
}

/// A reqwest client; the SDK makes rustls use *ring*, which must be installed before any client is built.
fn http_client() -> reqwest::Client {
    codearts::install_crypto_provider();
    reqwest::Client::new()
}
