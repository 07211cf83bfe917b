//! What the emulated CodeArts Check knows without being told: its languages, the rules of each
//! language, the system rule set of each language, the files a checked repository holds, the
//! compilation parameters of each language's check tool and a task's advanced settings.
//!
//! Everything here is fixed, so that the defects a run finds follow from a task's configuration
//! alone (see [`findings`]) and tests can assert exact counts.

use std::collections::BTreeSet;

use super::{RuleSet, Task};

/// One language the emulator checks.
pub(crate) struct Lang {
    /// The reference's upper-case name.
    pub(crate) name: &'static str,
    /// Other spellings the vendor's examples use (compared case-insensitively).
    aliases: &'static [&'static str],
    /// The files of this language every checked repository holds.
    pub(crate) files: &'static [&'static str],
    /// The name of its check tool (CheckParameters' groups).
    pub(crate) tool: &'static str,
}

pub(crate) const LANGUAGES: &[Lang] = &[
    Lang {
        name: "JAVA",
        aliases: &["java"],
        files: &[
            "src/main/java/demo/App.java",
            "src/main/java/demo/util/Strings.java",
            "src/test/java/demo/AppTest.java",
        ],
        tool: "SecBrella",
    },
    Lang {
        name: "C++",
        aliases: &["cpp", "c", "cxx"],
        files: &["src/main.cpp", "src/net/socket.cpp", "test/main_test.cpp"],
        tool: "Cppcheck",
    },
    Lang {
        name: "JAVASCRIPT",
        aliases: &["js"],
        files: &["web/app.js", "web/lib/format.js", "web/test/app.test.js"],
        tool: "ESLint",
    },
    Lang {
        name: "TYPESCRIPT",
        aliases: &["ts"],
        files: &["web/src/index.ts", "web/src/types/functions.ts", "web/test/index.test.ts"],
        tool: "TSLint",
    },
    Lang {
        name: "PYTHON",
        aliases: &["py", "python3"],
        files: &["app/main.py", "app/util/strings.py", "tests/test_main.py"],
        tool: "Pylint",
    },
    Lang {
        name: "GO",
        aliases: &["golang"],
        files: &["cmd/server/main.go", "internal/store/store.go", "internal/store/store_test.go"],
        tool: "GoLint",
    },
    Lang {
        name: "C#",
        aliases: &["csharp", "cs"],
        files: &["App/Program.cs", "App/Util/Strings.cs", "App.Tests/ProgramTests.cs"],
        tool: "FxCop",
    },
];

/// The repository's other files (never checked; listed in the path tree).
pub(crate) const OTHER_FILES: &[&str] = &["README.md"];

/// The rules of every language: (name, severity, tag, description).
const RULES: &[(&str, u8, &str, &str)] = &[
    ("Avoid hard-coded credentials", 0, "security", "Credentials in source code leak with every copy of it."),
    ("Close resources after use", 1, "reliability", "A resource that is opened must be closed on every path."),
    ("Do not ignore caught exceptions", 1, "reliability", "An empty catch block hides failures."),
    ("Remove unused variables", 2, "maintainability", "A variable that is never read is noise."),
    ("Limit the length of functions", 2, "maintainability", "Functions over 50 lines are hard to follow."),
    ("Document public functions", 3, "style", "Public functions need a documentation comment."),
];

/// One rule.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    pub(crate) id: u32,
    pub(crate) name: &'static str,
    pub(crate) language: &'static str,
    pub(crate) severity: u8,
    pub(crate) tag: &'static str,
    pub(crate) description: &'static str,
}

/// The language `name` stands for (its name or an alias, any case).
pub(crate) fn language(name: &str) -> Option<&'static Lang> {
    let name = name.trim();
    LANGUAGES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(name) || l.aliases.iter().any(|a| a.eq_ignore_ascii_case(name)))
}

/// Every rule: language by language, `1000 × (language position + 1) + rule position` as the ID.
pub(crate) fn rules() -> impl Iterator<Item = Rule> {
    LANGUAGES.iter().enumerate().flat_map(|(l, lang)| {
        RULES.iter().enumerate().map(move |(i, (name, severity, tag, description))| Rule {
            id: 1000 * (l as u32 + 1) + i as u32,
            name,
            language: lang.name,
            severity: *severity,
            tag,
            description,
        })
    })
}

/// The rules of `language`.
pub(crate) fn rules_of(language: &str) -> impl Iterator<Item = Rule> + '_ {
    rules().filter(move |r| r.language == language)
}

/// The rule `id`, if any.
pub(crate) fn rule(id: u32) -> Option<Rule> {
    rules().find(|r| r.id == id)
}

/// The system rule set of `lang`: every rule of the language, at its own severity.
pub(crate) fn system_ruleset(lang: &Lang) -> RuleSet {
    RuleSet {
        id: super::hex32(&format!("codearts-emulator/check/system-ruleset/{}", lang.name)),
        name: format!("{} recommended rule set", lang.name),
        language: lang.name,
        rules: rules_of(lang.name).map(|r| r.id).collect(),
        severities: Default::default(),
        owner: None,
        created: None,
    }
}

/// The compilation parameters of each language's check tool: (key, name, options, required,
/// default). Options make a parameter of type 2 (with options), none of type 0 (text).
pub(crate) const PARAMETERS: &[(&str, &str, &str, bool, &str)] = &[
    ("compileTool", "Build tool", "maven,gradle,ant,cmake,msbuild,go", true, "maven"),
    ("buildToolVersion", "Build tool version", "maven3.5.3-jdk8-open,gradle4.8-jdk1.8,cmake3.16.0-gcc9.2.0", true, ""),
    ("compileScriptCmd", "Build command", "", false, ""),
];

/// A task's advanced settings: (key, default, options, description). `excludeTestCode=true` leaves
/// the test files (a path with a `test` segment) unchecked.
pub(crate) const SETTINGS: &[(&str, &str, &str, &str)] = &[
    ("customImage", "", "", "Custom build image the check runs in (empty: the default image)."),
    ("excludeTestCode", "false", "true,false", "Whether test code is left out of checks."),
    ("fileEncoding", "UTF-8", "UTF-8,GBK", "Encoding of the source files."),
];

/// Whether `path` is test code (a path segment or file name with `test` in it).
pub(crate) fn is_test(path: &str) -> bool {
    path.split('/').any(|segment| segment.to_ascii_lowercase().contains("test"))
}

/// Whether `path` is excluded by one of the `ignored` paths (itself or a directory above it).
pub(crate) fn is_ignored(ignored: &BTreeSet<String>, path: &str) -> bool {
    ignored.iter().any(|i| path == i || path.starts_with(&format!("{i}/")))
}

/// Whether a run of `task` checks `file`: not excluded, and not test code that the task's
/// `excludeTestCode` setting leaves out.
pub(crate) fn is_checked(task: &Task, file: &str) -> bool {
    let exclude_tests = task.setting("excludeTestCode").eq_ignore_ascii_case("true");
    !(is_ignored(&task.ignored, file) || (exclude_tests && is_test(file)))
}

/// Every file of the repository of a task checking `languages`.
pub(crate) fn files(languages: &[&'static str]) -> Vec<&'static str> {
    let mut files: Vec<&str> =
        languages.iter().filter_map(|l| language(l)).flat_map(|l| l.files.iter().copied()).collect();
    files.extend(OTHER_FILES);
    files.sort_unstable();
    files.dedup();
    files
}

/// The directories above `files` (not the root), e.g. `src` and `src/main` for `src/main/a.c`.
pub(crate) fn folders(files: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for file in files {
        let mut path = String::new();
        let segments: Vec<&str> = file.split('/').collect();
        for segment in &segments[..segments.len().saturating_sub(1)] {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(segment);
            out.insert(path.clone());
        }
    }
    out
}

/// One issue a run finds.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) id: String,
    pub(crate) rule: Rule,
    pub(crate) severity: u8,
    pub(crate) file: &'static str,
    pub(crate) line: u32,
}

/// The issues a run of `task` finds with the rule sets `rulesets` (language → rule set): one per
/// enabled rule and checked file of the rule set's language, at the rule set's severity for the
/// rule. A file is checked unless an ignored path covers it or it is test code and the task's
/// `excludeTestCode` setting is `true`. Issue IDs derive from the task, rule and file, so the same
/// issue keeps its ID (and status) from one run to the next.
pub(crate) fn findings(task: &Task, rulesets: &[RuleSet]) -> Vec<Finding> {
    let mut out = Vec::new();
    for set in rulesets {
        let Some(lang) = language(set.language) else { continue };
        let files = lang.files.iter().filter(|f| is_checked(task, f));
        for file in files {
            for rule in set.rules.iter().filter_map(|id| rule(*id)) {
                let position = rule.id % 1000;
                out.push(Finding {
                    id: super::hex32(&format!("codearts-emulator/check/defect/{}/{}/{file}", task.id, rule.id)),
                    rule,
                    severity: set.severities.get(&rule.id).copied().unwrap_or(rule.severity),
                    file,
                    line: 10 + 7 * position,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_and_rules() {
        assert_eq!(language("cpp").map(|l| l.name), Some("C++"));
        assert_eq!(language("Java").map(|l| l.name), Some("JAVA"));
        assert!(language("COBOL").is_none());
        assert_eq!(rules().count(), LANGUAGES.len() * RULES.len());
        assert_eq!(rule(1000).map(|r| (r.language, r.severity)), Some(("JAVA", 0)));
        assert_eq!(rule(2005).map(|r| (r.language, r.severity)), Some(("C++", 3)));
        let ids: BTreeSet<u32> = rules().map(|r| r.id).collect();
        assert_eq!(ids.len(), rules().count(), "rule IDs are unique");
    }

    #[test]
    fn paths() {
        let ignored: BTreeSet<String> = ["src/main/java/demo/util".to_string()].into();
        assert!(is_ignored(&ignored, "src/main/java/demo/util/Strings.java"));
        assert!(!is_ignored(&ignored, "src/main/java/demo/App.java"));
        assert!(!is_ignored(&ignored, "src/main/java/demo/utility.java"));
        assert!(is_test("src/test/java/demo/AppTest.java") && is_test("internal/store/store_test.go"));
        assert!(!is_test("src/main/java/demo/App.java"));
        assert_eq!(files(&["JAVA"]).len(), 4);
    }
}
