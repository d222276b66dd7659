//! Unit tests of the registry: name normalization, definition sections, environment roots.

use super::*;

fn write(path: &Path, text: &str) {
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, text).unwrap();
}

#[test]
fn names_are_normalized() {
    let check = |name: &str, kind: &str, expected: Option<&str>| {
        assert_eq!(normalize(name, kind).ok().as_deref(), expected, "{name}");
    };
    check("Header", "msg", Some("std_msgs/Header"));
    check("Header", "srv", None);
    check(" std_msgs/String ", "msg", Some("std_msgs/String"));
    check("std_msgs/msg/String", "msg", Some("std_msgs/String"));
    check("std_srvs/srv/SetBool", "srv", Some("std_srvs/SetBool"));
    check("std_msgs/srv/String", "msg", None);
    check("String", "msg", None);
    check("../../etc/passwd", "msg", None);
}

#[test]
fn definitions_split_into_sections_with_lines() {
    let sep = "=".repeat(80);
    let text = format!("A a\n{sep}\nMSG: p/A\nB b\n\n{sep}\nMSG: p/B\nint8 x");
    let sections = split_definition(&text, Path::new("x")).unwrap();
    assert_eq!(sections[""], ("A a".to_owned(), 1));
    assert_eq!(sections["p/A"], ("B b\n".to_owned(), 4));
    assert_eq!(sections["p/B"], ("int8 x".to_owned(), 8));
    let error = split_definition(&format!("a\n{sep}\nint8 x"), Path::new("x")).unwrap_err();
    assert!(error.to_string().starts_with("x:3: "), "{error}");
}

#[test]
fn environment_roots_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A package on ROS_PACKAGE_PATH whose folder is not named after it.
    write(
        &root.join("ws/src/folder/package.xml"),
        "<package format=\"2\"><name>renamed_msgs</name><version>1.0.0</version>\
         <description>d</description><maintainer email=\"a@b.c\">a</maintainer>\
         <license>BSD</license></package>",
    );
    write(&root.join("ws/src/folder/msg/Thing.msg"), "int32 from_package_path\n");
    write(&root.join("direct/renamed_msgs/msg/Thing.msg"), "int32 from_rosrust_msg_path\n");
    write(&root.join("prefix/share/other_msgs/msg/Other.msg"), "int32 from_cmake\n");
    write(&root.join("opt/noetic/share/other_msgs/msg/Other.msg"), "int32 from_opt\n");
    write(&root.join("opt/noetic/share/opt_msgs/msg/Opt.msg"), "int32 from_opt\n");
    write(&root.join("usr/share/deb_msgs/msg/Deb.msg"), "int32 from_usr_share\n");
    let vars = |name: &str| -> Option<String> {
        let value = match name {
            "ROSRUST_MSG_PATH" => root.join("direct/renamed_msgs"),
            "ROS_PACKAGE_PATH" => root.join("ws/src"),
            "CMAKE_PREFIX_PATH" => root.join("prefix"),
            _ => return None,
        };
        Some(value.display().to_string())
    };
    let registry = Registry::from_vars(&vars, &root.join("opt"), &root.join("usr/share"));
    assert_eq!(
        registry.roots(),
        [
            root.join("direct/renamed_msgs"),
            root.join("ws/src/folder"),
            root.join("prefix/share"),
            root.join("opt/noetic/share"),
            root.join("usr/share"),
        ]
    );
    let first_field =
        |name: &str| registry.message(name).unwrap().describe()["fields"][0]["name"].clone();
    assert_eq!(first_field("renamed_msgs/Thing"), "from_rosrust_msg_path");
    assert_eq!(first_field("other_msgs/Other"), "from_cmake");
    assert_eq!(first_field("opt_msgs/Opt"), "from_opt");
    assert_eq!(first_field("deb_msgs/Deb"), "from_usr_share");

    let without_direct = |name: &str| if name == "ROSRUST_MSG_PATH" { None } else { vars(name) };
    let registry = Registry::from_vars(&without_direct, &root.join("opt"), &root.join("usr/share"));
    let thing = registry.message("renamed_msgs/Thing").unwrap();
    assert_eq!(thing.describe()["fields"][0]["name"], "from_package_path");
}

#[test]
fn cached_types_are_shared() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("p/msg/A.msg"), "B b\nB[] more\n");
    write(&dir.path().join("p/msg/B.msg"), "int8 x\n");
    let registry = Registry::new(vec![dir.path().to_path_buf()]);
    let a = registry.message("p/A").unwrap();
    let b = registry.message("p/B").unwrap();
    assert!(Arc::ptr_eq(&a, &registry.message("p/A").unwrap()));
    assert!(Arc::ptr_eq(&a.deps[0], &b));
    assert_eq!(a.definition(), format!("B b\nB[] more\n\n{}\nMSG: p/B\nint8 x\n", "=".repeat(80)));
}

#[test]
fn shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Registry>();
    assert_send_sync::<Arc<MsgType>>();
    assert_send_sync::<Arc<SrvType>>();
}
