//! Tests of `test`: a check that runs one test of a test file kept beside the rubric.

use super::*;
use crate::rubric::RubricTest;

#[test]
fn a_test_check_names_its_file_and_test_and_requires_that_the_test_ran_to_its_end() {
    let rubric = parse_ok(&with_check(
        "test = { file = \"tests/copy.rs\", name = \"edge::reads_in_pieces\" }\n",
    ));
    let check = &rubric.checks[0];
    let test = check.runs.test.as_ref().expect("a test");
    assert_eq!(
        test,
        &RubricTest {
            file: "tests/copy.rs".into(),
            name: "edge::reads_in_pieces".to_owned()
        }
    );
    assert_eq!(test.full_name(), "labgrade_copy::edge::reads_in_pieces");
    assert!(!test.is_hidden_file());
    assert_eq!(check.rules.expect, Expect::Exit(0));
    // libtest's last line, which a `process::exit(0)` in the student's code never prints.
    let [Matcher::Regex(passed)] = check.rules.stdout.as_slice() else {
        panic!("{:?}", check.rules.stdout);
    };
    assert!(passed.is_match("\ntest result: ok. 1 passed; 0 failed; 0 ignored;"));
    assert!(!passed.is_match("test result: ok. 0 passed; 0 failed; 0 ignored;"));
    // Two checks of one program running two tests share no run.
    let two = parse_ok(&format!(
        "{}\n[[check]]\nid = \"b\"\ntitle = \"B\"\npoints = 1\nrun = \"prog\"\ntest = {{ file = \"tests/copy.rs\", name = \"other\" }}\n",
        with_check("test = { file = \"tests/copy.rs\", name = \"one\" }\n")
    ));
    assert_ne!(two.checks[0].invocation(), two.checks[1].invocation());
}

#[test]
fn a_test_file_must_be_a_rust_file_beside_the_rubric_and_the_name_a_path() {
    let found = problems(&with_check(
        "test = { file = \"../copy.txt\", name = \"not a test\" }\n",
    ));
    let messages: Vec<&str> = found.iter().map(|found| found.1.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`../copy.txt` is not a test file beside the rubric",
            "`not a test` is not the name of a test"
        ]
    );
    assert_eq!(found[0].0, (10, 17));
    let (_, message, _) = problem(&with_check(
        "test = { file = \"tests/1copy.rs\", name = \"t\" }\n",
    ));
    assert_eq!(
        message,
        "`tests/1copy.rs` is not a test file beside the rubric"
    );
}

#[test]
fn a_test_check_takes_no_key_of_a_program_run() {
    let found = problems(&with_check(
        "args = [\"4\"]\nstdout = [{ contains = \"x\" }]\ncensus = { threads = 1 }\ntest = { file = \"t.rs\", name = \"t\" }\n",
    ));
    let messages: Vec<&str> = found.iter().map(|found| found.1.as_str()).collect();
    assert_eq!(
        messages,
        [
            "`test` cannot go with `args`",
            "`test` cannot go with `stdout`",
            "`test` cannot go with `census`"
        ]
    );
    assert!(found.iter().all(|found| found.0 == (13, 8)), "{found:?}");
}

#[test]
fn a_test_of_a_hidden_tests_folder_runs_in_a_hidden_check() {
    let keys = "test = { file = \"hidden-tests/x/t.rs\", name = \"t\" }\n";
    let (at, message, help) = problem(&with_check(keys));
    assert_eq!(at, (10, 17));
    assert_eq!(
        message,
        "a test of a `hidden-tests` folder runs in a hidden check"
    );
    assert!(help.unwrap().contains("visibility = \"hidden\""));
    let rubric = parse_ok(&with_check(&format!("visibility = \"hidden\"\n{keys}")));
    assert!(
        rubric.checks[0]
            .runs
            .test
            .as_ref()
            .unwrap()
            .is_hidden_file()
    );
}
