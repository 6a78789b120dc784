//! Tests of the `[exercise]` table.

use super::*;

#[test]
fn files_must_be_inside_the_package() {
    let text = with_check("").replace(
        "files = [\"src/main.rs\"]",
        "files = [\"src/ok.rs\", \"../up.rs\", \"/etc/passwd\", \"src/../x.rs\", \"\", \"src/ok.rs\"]",
    );
    let help = Some("write a relative path without `..`, such as `src/main.rs`");
    assert_eq!(
        problems(&text),
        [
            found(4, 23, "`../up.rs` is not a path inside the package", help),
            found(
                4,
                35,
                "`/etc/passwd` is not a path inside the package",
                help
            ),
            found(
                4,
                50,
                "`src/../x.rs` is not a path inside the package",
                help
            ),
            found(4, 65, "`` is not a path inside the package", help),
            found(4, 69, "`src/ok.rs` is listed twice", None),
        ]
    );
    let text = with_check("").replace("files = [\"src/main.rs\"]", "files = []");
    assert_eq!(
        problem(&text),
        found(
            4,
            9,
            "`files` is empty",
            Some("list the files a submission provides, relative to the package")
        )
    );
}
