//! Tests of `needs` and the order of checks.

use super::*;

#[test]
fn checks_come_after_what_they_need() {
    let text = format!(
        "{EXERCISE}
[[check]]
id = \"c\"
title = \"C\"
points = 1
run = \"prog\"
needs = [\"b\"]

[[check]]
id = \"b\"
title = \"B\"
points = 1
run = \"prog\"
needs = [\"a\", \"build\"]

[[check]]
id = \"a\"
title = \"A\"
points = 1
run = \"prog\"

[[check]]
id = \"d\"
title = \"D\"
points = 1
run = \"prog\"
"
    );
    let rubric = parse_ok(&text);
    assert_eq!(ids(&rubric), ["a", "b", "c", "d"]);
    assert_eq!(rubric.checks[1].needs, ["a", "build"]);
    assert_eq!(rubric.checks[2].needs, ["build", "b"]);
}

#[test]
fn a_cycle_of_needs_is_reported() {
    let text = format!(
        "{EXERCISE}[[check]]
id = \"a\"
title = \"A\"
points = 10
run = \"prog\"
needs = [\"b\"]

[[check]]
id = \"b\"
title = \"B\"
points = 10
run = \"prog\"
needs = [\"a\"]

[[check]]
id = \"c\"
title = \"C\"
points = 10
run = \"prog\"
needs = [\"a\"]
"
    );
    // `c` waits on the cycle but is not part of it, so it is not blamed.
    let help = Some("a check cannot need, directly or not, a check that needs it");
    assert_eq!(
        problems(&text),
        [
            found(6, 6, "check `a` is part of a cycle of `needs`", help),
            found(13, 6, "check `b` is part of a cycle of `needs`", help),
        ]
    );
}

#[test]
fn needs_name_other_checks_of_the_rubric() {
    assert_eq!(
        problem(&with_check("needs = [\"a\"]\n")),
        found(10, 10, "check `a` needs itself", None)
    );
    let text = format!(
        "{}\n[[check]]\nid = \"timing\"\ntitle = \"T\"\npoints = 5\nrun = \"prog\"\nneeds = [\"sums\"]\n",
        with_check("").replace("id = \"a\"", "id = \"sum\"")
    );
    assert_eq!(
        problem(&text),
        found(
            16,
            10,
            "check `timing` needs `sums`, which is not a check of this rubric",
            Some("did you mean `sum`?")
        )
    );
}
