//! Regions and endpoints: the tables, unknown-region errors, overrides from code and from the
//! environment (injected, never the process's), and the https-only rule with its loopback
//! exemptions and opt-in.

use std::collections::HashMap;

use codearts::region::{Endpoints, RegionError, Service, known_regions};

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |name| map.get(name).cloned()
}

fn url(endpoints: &Endpoints, service: Service) -> String {
    endpoints.get(service).unwrap_or_else(|e| panic!("{service}: {e}")).to_string()
}

// ---------------------------------------------------------------- tables

#[test]
fn cn_north_4_has_every_service() {
    let endpoints = Endpoints::for_region("cn-north-4").unwrap();
    assert_eq!(endpoints.region(), Some("cn-north-4"));
    assert_eq!(url(&endpoints, Service::Build), "https://cloudbuild-ext.cn-north-4.myhuaweicloud.com/");
    assert_eq!(url(&endpoints, Service::Check), "https://codearts-check.cn-north-4.myhuaweicloud.com/");
    assert_eq!(url(&endpoints, Service::Pipeline), "https://cloudpipeline-ext.cn-north-4.myhuaweicloud.com/");
    assert_eq!(url(&endpoints, Service::Iam), "https://iam.cn-north-4.myhuaweicloud.com/");
    assert_eq!(endpoints.base_url(Service::Build).unwrap(), "https://cloudbuild-ext.cn-north-4.myhuaweicloud.com");
}

#[test]
fn eu_west_101_from_the_reference() {
    let endpoints = Endpoints::for_region("eu-west-101").unwrap();
    assert_eq!(endpoints.base_url(Service::Build).unwrap(), "https://build-backend.eu-west-101.myhuaweicloud.eu");
    assert_eq!(endpoints.base_url(Service::Iam).unwrap(), "https://iam.eu-west-101.myhuaweicloud.eu");
    // No Check or Pipeline endpoint is known there: a clear error, not a guess.
    for service in [Service::Check, Service::Pipeline] {
        let error = endpoints.get(service).unwrap_err();
        assert!(matches!(&error, RegionError::NoEndpoint { region, .. } if region == "eu-west-101"), "{error:?}");
        let shown = error.to_string();
        assert!(shown.contains(&service.to_string()), "{shown}");
        assert!(shown.contains("cn-north-4"), "lists the regions it has: {shown}");
        assert!(shown.contains(&format!("HUAWEICLOUD_SDK_REGION_{}_EU_WEST_101", service.env_name())), "{shown}");
        assert_eq!(endpoints.try_get(service), None);
    }
}

#[test]
fn build_regions_follow_the_vendor_sdk() {
    assert_eq!(
        known_regions(Service::Build),
        [
            "ap-southeast-3",
            "cn-east-2",
            "cn-east-3",
            "cn-north-1",
            "cn-north-4",
            "cn-south-1",
            "cn-south-2",
            "cn-southwest-2",
            "eu-west-101",
            "la-north-2",
            "la-south-2",
            "sa-brazil-1",
            "tr-west-1",
        ]
    );
    assert_eq!(
        known_regions(Service::Check),
        [
            "ap-southeast-3",
            "cn-east-2",
            "cn-east-3",
            "cn-north-1",
            "cn-north-4",
            "cn-south-1",
            "la-north-2",
            "sa-brazil-1"
        ]
    );
    assert!(known_regions(Service::Iam).contains(&"eu-west-101"));
    assert!(known_regions(Service::Pipeline).contains(&"tr-west-1"));
}

#[test]
fn every_known_region_resolves_to_an_https_endpoint_in_that_region() {
    for service in Service::ALL {
        for region in known_regions(service) {
            let endpoints = Endpoints::for_region(region).unwrap();
            let url = endpoints.get(service).unwrap();
            assert_eq!(url.scheme(), "https", "{service} {region}");
            assert!(url.host_str().unwrap().contains(region), "{service} {region}: {url}");
            assert_eq!(url.path(), "/", "{service} {region}");
        }
    }
}

#[test]
fn pipeline_hosts_that_break_the_pattern() {
    let host = |region: &str| Endpoints::for_region(region).unwrap().base_url(Service::Pipeline).unwrap().to_string();
    assert_eq!(host("tr-west-1"), "https://pipeline-external.tr-west-1.myhuaweicloud.com");
    assert_eq!(host("la-south-2"), "https://pipeline-external.la-south-2.myhuaweicloud.com");
    assert_eq!(host("af-north-1"), "https://pipeline.af-north-1.myhuaweicloud.com");
    assert_eq!(host("cn-south-1"), "https://cloudpipeline-ext.cn-south-1.myhuaweicloud.com");
}

#[test]
fn a_region_known_only_to_iam_is_accepted() {
    let endpoints = Endpoints::for_region("ru-moscow-1").unwrap();
    assert!(endpoints.get(Service::Iam).is_ok());
    assert!(matches!(endpoints.get(Service::Build), Err(RegionError::NoEndpoint { .. })));
}

// ---------------------------------------------------------------- unknown regions

#[test]
fn unknown_region_lists_the_known_ones() {
    let error = Endpoints::for_region("mars-north-1").unwrap_err();
    let RegionError::UnknownRegion { region, known } = &error else { panic!("{error:?}") };
    assert_eq!(region, "mars-north-1");
    for service in Service::ALL {
        for region in known_regions(service) {
            assert!(known.contains(region), "{region} missing from {known:?}");
        }
    }
    let mut sorted = known.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(&sorted, known, "sorted, no duplicates");
    let shown = error.to_string();
    assert!(shown.contains("mars-north-1") && shown.contains("eu-west-101") && shown.contains("cn-north-4"), "{shown}");
}

#[test]
fn odd_regions_are_errors_not_panics() {
    for region in ["", " ", "CN-NORTH-4", "cn-north-4 ", "../../etc", "cn-north-4\n", "\u{1F600}"] {
        assert!(matches!(Endpoints::for_region(region), Err(RegionError::UnknownRegion { .. })), "{region:?}");
        assert!(Endpoints::resolve(region, env(&[])).is_err(), "{region:?}");
    }
}

// ---------------------------------------------------------------- overrides in code

#[test]
fn override_from_the_builder() {
    let endpoints = Endpoints::for_region("cn-north-4")
        .unwrap()
        .with_override(Service::Build, "https://gateway.example.com/codearts-build/")
        .unwrap();
    assert_eq!(endpoints.base_url(Service::Build).unwrap(), "https://gateway.example.com/codearts-build");
    assert_eq!(url(&endpoints, Service::Check), "https://codearts-check.cn-north-4.myhuaweicloud.com/", "others kept");
}

#[test]
fn empty_endpoints_hold_only_overrides() {
    let endpoints = Endpoints::empty().with_override(Service::Check, "https://check.example.com").unwrap();
    assert_eq!(endpoints.region(), None);
    assert_eq!(endpoints.base_url(Service::Check).unwrap(), "https://check.example.com");
    assert!(matches!(endpoints.get(Service::Build), Err(RegionError::NoEndpoint { region, .. }) if region.is_empty()));
    assert_eq!(Endpoints::default(), Endpoints::empty());
}

#[test]
fn invalid_overrides_are_refused() {
    let cases = [
        ("not a url", "not an absolute URL"),
        ("cloudbuild-ext.cn-north-4.myhuaweicloud.com", "not an absolute URL"),
        ("ftp://files.example.com", "`ftp`"),
        ("https://user:PASSWORD-SECRET@example.com", "user name or password"),
        ("https://example.com/?a=1", "query or fragment"),
        ("https://example.com/#top", "query or fragment"),
        ("file:///etc/passwd", "`file`"),
    ];
    for (input, expected) in cases {
        let error = Endpoints::for_region("cn-north-4").unwrap().with_override(Service::Build, input).unwrap_err();
        let RegionError::InvalidEndpoint { service, origin, reason } = &error else { panic!("{input}: {error:?}") };
        assert_eq!(*service, Service::Build);
        assert_eq!(origin, "Endpoints::with_override");
        assert!(reason.contains(expected), "{input}: {reason}");
        assert!(!error.to_string().contains("PASSWORD-SECRET"), "{error}");
        assert!(!format!("{error:?}").contains("PASSWORD-SECRET"), "{error:?}");
    }
}

// ---------------------------------------------------------------- overrides from the environment

#[test]
fn override_from_the_environment() {
    let vars = env(&[
        ("HUAWEICLOUD_SDK_REGION_CODEARTSBUILD_CN_NORTH_4", "https://build.example.com"),
        ("HUAWEICLOUD_SDK_REGION_IAM_CN_NORTH_4", " https://iam-a.example.com , https://iam-b.example.com"),
        ("HUAWEICLOUD_SDK_REGION_CODEARTSCHECK_CN_NORTH_4", "  "),
        ("HUAWEICLOUD_SDK_REGION_CODEARTSPIPELINE_CN_EAST_3", "https://other-region.example.com"),
    ]);
    let endpoints = Endpoints::for_region("cn-north-4").unwrap().from_env_overrides("cn-north-4", vars).unwrap();
    assert_eq!(endpoints.base_url(Service::Build).unwrap(), "https://build.example.com");
    assert_eq!(endpoints.base_url(Service::Iam).unwrap(), "https://iam-a.example.com", "first of a list");
    assert_eq!(endpoints.base_url(Service::Check).unwrap(), "https://codearts-check.cn-north-4.myhuaweicloud.com");
    assert_eq!(
        endpoints.base_url(Service::Pipeline).unwrap(),
        "https://cloudpipeline-ext.cn-north-4.myhuaweicloud.com"
    );
}

#[test]
fn environment_variable_names_follow_the_vendor_convention() {
    assert_eq!(Service::Build.env_override_var("cn-north-4"), "HUAWEICLOUD_SDK_REGION_CODEARTSBUILD_CN_NORTH_4");
    assert_eq!(
        Service::Check.env_override_var("ap-southeast-3"),
        "HUAWEICLOUD_SDK_REGION_CODEARTSCHECK_AP_SOUTHEAST_3"
    );
    assert_eq!(
        Service::Pipeline.env_override_var("eu-west-101"),
        "HUAWEICLOUD_SDK_REGION_CODEARTSPIPELINE_EU_WEST_101"
    );
    assert_eq!(Service::Iam.env_override_var("la-north-2"), "HUAWEICLOUD_SDK_REGION_IAM_LA_NORTH_2");
}

#[test]
fn invalid_environment_override_names_the_variable() {
    let vars = env(&[("HUAWEICLOUD_SDK_REGION_CODEARTSBUILD_CN_NORTH_4", "not a url")]);
    let error = Endpoints::for_region("cn-north-4").unwrap().from_env_overrides("cn-north-4", vars).unwrap_err();
    assert!(
        matches!(&error, RegionError::InvalidEndpoint { origin, .. } if origin == "HUAWEICLOUD_SDK_REGION_CODEARTSBUILD_CN_NORTH_4"),
        "{error:?}"
    );
}

#[test]
fn environment_fills_a_region_missing_from_the_tables() {
    let vars =
        env(&[("HUAWEICLOUD_SDK_REGION_CODEARTSBUILD_CN_NORTH_99", "https://cloudbuild-ext.cn-north-99.example.com")]);
    let endpoints = Endpoints::resolve("cn-north-99", vars).unwrap();
    assert_eq!(endpoints.region(), Some("cn-north-99"));
    assert_eq!(endpoints.base_url(Service::Build).unwrap(), "https://cloudbuild-ext.cn-north-99.example.com");
    assert!(matches!(endpoints.get(Service::Iam), Err(RegionError::NoEndpoint { .. })));

    assert!(matches!(Endpoints::resolve("cn-north-99", env(&[])), Err(RegionError::UnknownRegion { .. })));
}

#[test]
fn resolve_is_the_table_plus_the_environment() {
    let vars = env(&[("HUAWEICLOUD_SDK_REGION_IAM_EU_WEST_101", "https://iam-proxy.example.eu")]);
    let endpoints = Endpoints::resolve("eu-west-101", vars).unwrap();
    assert_eq!(endpoints.base_url(Service::Iam).unwrap(), "https://iam-proxy.example.eu");
    assert_eq!(endpoints.base_url(Service::Build).unwrap(), "https://build-backend.eu-west-101.myhuaweicloud.eu");
}

// ---------------------------------------------------------------- https only

#[test]
fn plain_http_is_refused_on_other_hosts() {
    for insecure in [
        "http://cloudbuild-ext.cn-north-4.myhuaweicloud.com",
        "http://10.0.0.1:8080",
        "http://192.168.1.10",
        "http://0.0.0.0:8080",
        "http://localhost.example.com",
        "http://[2001:db8::1]:80",
    ] {
        let error = Endpoints::for_region("cn-north-4").unwrap().with_override(Service::Build, insecure).unwrap_err();
        assert!(
            matches!(&error, RegionError::InsecureEndpoint { service: Service::Build, .. }),
            "{insecure}: {error:?}"
        );
        assert!(error.to_string().contains("allow_insecure_http"), "{error}");
    }
    let vars = env(&[("HUAWEICLOUD_SDK_REGION_CODEARTSBUILD_CN_NORTH_4", "http://build.internal")]);
    let error = Endpoints::for_region("cn-north-4").unwrap().from_env_overrides("cn-north-4", vars).unwrap_err();
    assert!(matches!(error, RegionError::InsecureEndpoint { .. }), "{error:?}");
}

#[test]
fn plain_http_is_allowed_on_loopback() {
    for loopback in [
        "http://127.0.0.1:8080",
        "http://127.1.2.3",
        "http://[::1]:9000",
        "http://[::ffff:127.0.0.1]:9000",
        "http://localhost:1234",
        "http://LOCALHOST",
        "http://localhost./prefix",
    ] {
        let endpoints = Endpoints::empty().with_override(Service::Build, loopback).unwrap();
        assert_eq!(endpoints.get(Service::Build).unwrap().scheme(), "http", "{loopback}");
    }
}

#[test]
fn plain_http_elsewhere_when_the_caller_opts_in() {
    let endpoints = Endpoints::for_region("cn-north-4")
        .unwrap()
        .allow_insecure_http(true)
        .with_override(Service::Build, "http://build.internal:8080")
        .unwrap();
    assert_eq!(endpoints.base_url(Service::Build).unwrap(), "http://build.internal:8080");

    let vars = env(&[("HUAWEICLOUD_SDK_REGION_IAM_CN_NORTH_4", "http://iam.internal")]);
    let endpoints = endpoints.from_env_overrides("cn-north-4", vars).unwrap();
    assert_eq!(endpoints.base_url(Service::Iam).unwrap(), "http://iam.internal");

    // Withdrawing the opt-in afterwards is enforced when the endpoint is read.
    let endpoints = endpoints.allow_insecure_http(false);
    assert!(matches!(endpoints.get(Service::Build), Err(RegionError::InsecureEndpoint { .. })));
    assert_eq!(endpoints.try_get(Service::Build), None);
    assert!(endpoints.get(Service::Check).is_ok(), "https endpoints are unaffected");
}

// ---------------------------------------------------------------- CodeArts Pipeline

#[test]
fn pipeline_regions_are_the_vendor_sdks_fifteen() {
    // services/codeartspipeline/v2/region/region.go: `staticFields`, sorted.
    assert_eq!(
        known_regions(Service::Pipeline),
        [
            "af-north-1",
            "af-south-1",
            "ap-southeast-3",
            "cn-east-2",
            "cn-east-3",
            "cn-north-1",
            "cn-north-4",
            "cn-south-1",
            "cn-south-2",
            "cn-southwest-2",
            "la-north-2",
            "la-south-2",
            "me-east-1",
            "sa-brazil-1",
            "tr-west-1",
        ]
    );
}

#[test]
fn pipeline_uses_three_host_prefixes() {
    // `cloudpipeline-ext.` for most regions, `pipeline-external.` for tr-west-1 and la-south-2,
    // `pipeline.` for the African and Middle East regions: each region's own, never a guess from
    // another's pattern.
    let mut prefixes: Vec<String> = known_regions(Service::Pipeline)
        .iter()
        .map(|region| {
            let endpoints = Endpoints::for_region(region).unwrap();
            let host = endpoints.get(Service::Pipeline).unwrap().host_str().unwrap().to_string();
            assert!(host.ends_with(&format!(".{region}.myhuaweicloud.com")), "{region}: {host}");
            host.split('.').next().unwrap().to_string()
        })
        .collect();
    prefixes.sort();
    prefixes.dedup();
    assert_eq!(prefixes, ["cloudpipeline-ext", "pipeline", "pipeline-external"]);
    let host = |region: &str| Endpoints::for_region(region).unwrap().base_url(Service::Pipeline).unwrap().to_string();
    assert_eq!(host("me-east-1"), "https://pipeline.me-east-1.myhuaweicloud.com");
    assert_eq!(host("af-south-1"), "https://pipeline.af-south-1.myhuaweicloud.com");
}

#[test]
fn pipeline_endpoint_from_the_environment() {
    // The vendor's `DefaultProviderChain("CODEARTSPIPELINE")`: the variable wins over the table, and
    // gives Pipeline a region the table lacks (eu-west-101) without touching the other services.
    let vars = env(&[
        ("HUAWEICLOUD_SDK_REGION_CODEARTSPIPELINE_TR_WEST_1", "https://pipeline-proxy.example.com"),
        ("HUAWEICLOUD_SDK_REGION_CODEARTSPIPELINE_EU_WEST_101", "https://pipeline.eu-west-101.example.eu"),
    ]);
    let endpoints = Endpoints::resolve("tr-west-1", &vars).unwrap();
    assert_eq!(endpoints.base_url(Service::Pipeline).unwrap(), "https://pipeline-proxy.example.com");
    assert_eq!(endpoints.base_url(Service::Build).unwrap(), "https://cloudbuild-ext.tr-west-1.myhuaweicloud.com");
    let endpoints = Endpoints::resolve("eu-west-101", &vars).unwrap();
    assert_eq!(endpoints.base_url(Service::Pipeline).unwrap(), "https://pipeline.eu-west-101.example.eu");
    assert_eq!(endpoints.base_url(Service::Build).unwrap(), "https://build-backend.eu-west-101.myhuaweicloud.eu");
    assert!(matches!(endpoints.get(Service::Check), Err(RegionError::NoEndpoint { .. })));
}
