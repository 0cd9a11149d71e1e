//! Every cgroup shape a runtime makes, and shapes that must not match.

use super::*;

const ID: &str = "5f73910b71621c914ac201cdbd11a079533a86db5207a7c2f218744d4cb84f40";
const UID: &str = "8d6a8f1c-29b4-4bd4-9a5e-1f0d2c3b4a59";
const UID_US: &str = "8d6a8f1c_29b4_4bd4_9a5e_1f0d2c3b4a59";

fn expect(path: &str, runtime: Runtime, pod_uid: Option<&str>) {
    let got = parse_cgroup_path(path);
    let want = ContainerRef { id: ID.to_owned(), runtime, pod_uid: pod_uid.map(str::to_owned) };
    assert_eq!(got, Some(want), "path {path}");
}

fn reject(path: &str) {
    assert_eq!(parse_cgroup_path(path), None, "path {path} must not name a container");
}

#[test]
fn docker_cgroupfs() {
    expect(&format!("/docker/{ID}"), Runtime::Docker, None);
}

#[test]
fn docker_systemd() {
    expect(&format!("/system.slice/docker-{ID}.scope"), Runtime::Docker, None);
}

#[test]
fn docker_nested_subcgroup() {
    expect(&format!("/docker/{ID}/init.scope"), Runtime::Docker, None);
    expect(&format!("/system.slice/docker-{ID}.scope/sub/leaf"), Runtime::Docker, None);
}

#[test]
fn docker_in_docker_takes_innermost() {
    let outer = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    expect(&format!("/docker/{outer}/docker/{ID}"), Runtime::Docker, None);
}

#[test]
fn kubepods_cgroupfs_qos() {
    for qos in ["besteffort", "burstable"] {
        expect(&format!("/kubepods/{qos}/pod{UID}/{ID}"), Runtime::Containerd, Some(UID));
    }
}

#[test]
fn kubepods_cgroupfs_guaranteed() {
    expect(&format!("/kubepods/pod{UID}/{ID}"), Runtime::Containerd, Some(UID));
}

#[test]
fn kubepods_cgroupfs_crio() {
    expect(&format!("/kubepods/burstable/pod{UID}/crio-{ID}"), Runtime::CriO, Some(UID));
}

#[test]
fn kubepods_systemd_containerd() {
    expect(
        &format!(
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID_US}.slice/cri-containerd-{ID}.scope"
        ),
        Runtime::Containerd,
        Some(UID),
    );
    expect(
        &format!(
            "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{UID_US}.slice/cri-containerd-{ID}.scope"
        ),
        Runtime::Containerd,
        Some(UID),
    );
}

#[test]
fn kubepods_systemd_guaranteed() {
    expect(
        &format!("/kubepods.slice/kubepods-pod{UID_US}.slice/cri-containerd-{ID}.scope"),
        Runtime::Containerd,
        Some(UID),
    );
}

#[test]
fn kubepods_systemd_docker_and_crio() {
    let pod = format!("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID_US}.slice");
    expect(&format!("{pod}/docker-{ID}.scope"), Runtime::Docker, Some(UID));
    expect(&format!("{pod}/crio-{ID}.scope"), Runtime::CriO, Some(UID));
    expect(&format!("{pod}/cri-dockerd-{ID}.scope"), Runtime::Docker, Some(UID));
}

#[test]
fn kubepods_under_a_parent_slice() {
    // kubelet with --cgroup-root or under a node agent's slice (v2).
    expect(
        &format!("/kubelet.slice/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID_US}.slice/crio-{ID}.scope/container"),
        Runtime::CriO,
        Some(UID),
    );
}

#[test]
fn static_pod_uid_without_dashes() {
    let hash = "6d2a8e0b5b5e1e9a4c3f2b1a0d9c8e7f";
    let got = parse_cgroup_path(&format!("/kubepods/burstable/pod{hash}/{ID}"));
    assert_eq!(got.and_then(|r| r.pod_uid).as_deref(), Some(hash));
}

#[test]
fn pod_uid_is_lowercased() {
    let upper = UID.to_ascii_uppercase();
    let got = parse_cgroup_path(&format!("/kubepods/pod{upper}/{ID}"));
    assert_eq!(got.and_then(|r| r.pod_uid).as_deref(), Some(UID));
}

#[test]
fn containerd_namespaces() {
    for ns in ["default", "moby", "k8s.io"] {
        expect(&format!("/{ns}/{ID}"), Runtime::Containerd, None);
    }
}

#[test]
fn namespaces_containerd_was_asked_about() {
    let known = |ns: &str| ["buildkit", "tenant-a"].contains(&ns);
    let want = Some(ContainerRef { id: ID.to_owned(), runtime: Runtime::Containerd, pod_uid: None });
    for path in [format!("/buildkit/{ID}"), format!("/tenant-a/{ID}/"), format!("/tenant-a/{ID}/init.scope")] {
        assert_eq!(parse_namespaced_path(&path, known), want, "{path}");
        assert_eq!(parse_cgroup_path(&path), None, "{path}: a bare id under an unknown parent is refused alone");
    }
    // Nested: the innermost container wins.
    let outer = "a".repeat(64);
    let got = parse_namespaced_path(&format!("/tenant-a/{outer}/buildkit/{ID}"), known);
    assert_eq!(got.map(|r| r.id), Some(ID.to_owned()));
    for path in [
        format!("/panoptes-test/{ID}"),
        format!("/buildkit/{}", &ID[..63]),
        format!("/buildkit/{}", ID.to_ascii_uppercase()),
        format!("/{ID}"),
        "/buildkit".to_owned(),
        "/".to_owned(),
        String::new(),
    ] {
        assert_eq!(parse_namespaced_path(&path, known), None, "{path}");
    }
}

#[test]
fn nerdctl_systemd() {
    expect(&format!("/system.slice/nerdctl-{ID}.scope"), Runtime::Containerd, None);
}

#[test]
fn crio_scope() {
    expect(&format!("/system.slice/crio-{ID}.scope"), Runtime::CriO, None);
}

#[test]
fn crio_conmon_is_not_the_container() {
    reject(&format!("/system.slice/crio-conmon-{ID}.scope"));
    reject(&format!(
        "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{UID_US}.slice/crio-conmon-{ID}.scope"
    ));
    reject(&format!("/kubepods/burstable/pod{UID}/crio-conmon-{ID}"));
}

#[test]
fn podman_forms() {
    expect(&format!("/libpod-{ID}.scope"), Runtime::Podman, None);
    expect(&format!("/libpod-{ID}.scope/container"), Runtime::Podman, None);
    expect(&format!("/machine.slice/libpod-{ID}.scope"), Runtime::Podman, None);
    expect(&format!("/machine.slice/libpod-{ID}.scope/container"), Runtime::Podman, None);
    expect(&format!("/libpod_parent/libpod-{ID}"), Runtime::Podman, None);
    expect(
        &format!("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-{ID}.scope"),
        Runtime::Podman,
        None,
    );
}

#[test]
fn podman_conmon_is_not_the_container() {
    reject(&format!("/machine.slice/libpod-conmon-{ID}.scope"));
}

#[test]
fn host_and_session_paths() {
    for path in [
        "/",
        "",
        "/init.scope",
        "/system.slice/sshd.service",
        "/user.slice/user-0.slice/session-1.scope",
        "/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service",
        "/process_api/93b5165e62d953873ec27bc40867225c",
        "/kubepods",
        "/kubepods/besteffort",
        "/kubepods.slice/kubepods-burstable.slice",
        "/docker",
        "/system.slice/docker.service",
        "/system.slice/containerd.service",
    ] {
        reject(path);
    }
}

#[test]
fn id_lookalikes() {
    let short = &ID[..63];
    let upper = ID.to_ascii_uppercase();
    let long = format!("{ID}0");
    let nonhex = format!("{}g", &ID[..63]);
    for bad in [short, upper.as_str(), long.as_str(), nonhex.as_str()] {
        reject(&format!("/docker/{bad}"));
        reject(&format!("/system.slice/docker-{bad}.scope"));
        reject(&format!("/machine.slice/libpod-{bad}.scope"));
    }
}

#[test]
fn bare_id_needs_a_known_parent() {
    reject(&format!("/{ID}"));
    reject(&format!("/process_api/{ID}"));
    reject(&format!("/panoptes-test/{ID}"));
    reject(&format!("/system.slice/{ID}"));
    // pod<uid>-looking parent outside kubepods
    reject(&format!("/pod{UID}/{ID}"));
}

#[test]
fn unknown_scope_prefix() {
    reject(&format!("/system.slice/runc-{ID}.scope"));
    reject(&format!("/system.slice/something-docker-{ID}.scope"));
}

#[test]
fn pod_uid_only_from_pod_components() {
    let got = parse_cgroup_path(&format!("/kubepods/burstable/podnotauid/{ID}"));
    assert_eq!(got.map(|r| (r.runtime, r.pod_uid)), Some((Runtime::Containerd, None)));
}

#[test]
fn proc_cgroup_v1_picks_the_container_line() {
    let text = format!(
        "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/93b5165e62d953873ec27bc40867225c\n\
         3:cpuset:/docker/{ID}\n1:cpu:/docker/{ID}\n0::/\n"
    );
    assert_eq!(
        from_proc_cgroup(&text),
        Some(ContainerRef { id: ID.to_owned(), runtime: Runtime::Docker, pod_uid: None })
    );
}

#[test]
fn proc_cgroup_v1_combined_controllers() {
    let text = format!("12:cpu,cpuacct:/kubepods/besteffort/pod{UID}/{ID}\n");
    assert_eq!(from_proc_cgroup(&text).and_then(|r| r.pod_uid).as_deref(), Some(UID));
}

#[test]
fn proc_cgroup_v2_only() {
    let text = format!("0::/system.slice/docker-{ID}.scope\n");
    assert_eq!(from_proc_cgroup(&text).map(|r| r.runtime), Some(Runtime::Docker));
}

#[test]
fn proc_cgroup_host_process() {
    let text = "9:name=systemd:/\n4:memory:/process_api/93b5165e62d953873ec27bc40867225c\n0::/\n";
    assert_eq!(from_proc_cgroup(text), None);
    assert_eq!(from_proc_cgroup(""), None);
    assert_eq!(from_proc_cgroup("garbage without colons\n::\n"), None);
}

#[test]
fn proc_cgroup_path_with_colon() {
    // The path is everything after the second colon.
    let text = format!("0::/weird:name/docker/{ID}\n");
    assert_eq!(from_proc_cgroup(&text).map(|r| r.id), Some(ID.to_owned()));
}

#[test]
fn runtime_names() {
    let names: Vec<&str> = Runtime::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(names, ["docker", "containerd", "cri-o", "podman"]);
    for (i, r) in Runtime::ALL.iter().enumerate() {
        assert_eq!(r.index(), i);
        assert_eq!(r.to_string(), r.as_str());
    }
}

#[test]
fn own_process_is_on_the_host_or_parses() {
    // Whatever this test runs in, reading our own cgroup must not fail.
    assert!(ContainerRef::from_pid(std::process::id()).is_ok());
}
