use std::process::Command;

use super::*;

fn place() -> Place {
    Place::new("debian/control", "Maintainer").from("pkg/package.xml <maintainer>")
}

#[test]
fn single_line_refuses_every_line_break_and_names_the_field_and_file() {
    for value in [
        "Jane Doe\nPre-Depends: evil",
        "a\rb",
        "a\u{85}b",
        "a\u{2028}b",
        "a\u{2029}b",
        "a\u{1b}[31m",
        "a\0",
        "a\tb",
    ] {
        let e = single_line(&place(), value).unwrap_err();
        assert!(matches!(e.problem, Problem::ControlCharacter(_)), "{value:?}");
        let text = e.to_string();
        assert!(
            text.contains("debian/control field `Maintainer`")
                && text.contains("pkg/package.xml <maintainer>"),
            "{text}"
        );
        assert!(!text.contains('\n'), "the message itself stays on one line: {text}");
    }
    assert_eq!(single_line(&place(), "Jöhn Doe <j@x.org>").unwrap(), "Jöhn Doe <j@x.org>");
    assert!(matches!(required(&place(), "  ").unwrap_err().problem, Problem::Empty));
}

#[test]
fn fold_makes_continuation_lines_and_refuses_other_controls() {
    let p = Place::new("debian/copyright", "License");
    assert_eq!(
        fold(&p, "\n\nFirst line  \r\n\n\u{c}\nsecond\tline\n\n").unwrap(),
        ["First line", ".", ".", "second\tline"]
    );
    assert!(fold(&p, "text\u{1b}more").is_err());
    assert!(fold(&p, "a\rb").is_err(), "a bare carriage return is refused");
}

#[test]
fn package_names_are_policys_and_dpkg_accepts_them() {
    let good = ["ros-noetic-xacro", "libc6", "g++", "0ad", "python3.11"];
    let bad = ["a b (>> 1", "UPPER", "x|y", "", "a", "-a", "ros-noetic-xacro\nPre-Depends: evil"];
    for name in good {
        assert!(package_name(&Place::new("debian/control", "Depends"), name).is_ok(), "{name}");
        let dpkg = Command::new("dpkg").args(["--validate-pkgname", name]).output().unwrap();
        assert!(dpkg.status.success(), "dpkg refuses `{name}` that we accept");
    }
    for name in bad {
        let e = package_name(&Place::new("debian/control", "Depends"), name).unwrap_err();
        assert_eq!(e.problem, Problem::NotPackageName, "{name:?}");
    }
}
