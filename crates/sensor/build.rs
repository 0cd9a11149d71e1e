//! Builds the kernel side and ties the Rust mirror to `ebpf/include/wire.h`.
//!
//! 1. `vmlinux.h` from the build host's BTF (`bpftool btf dump`), unless
//!    `PANOPTES_VMLINUX_H` names one.
//! 2. `ebpf/probes.bpf.c` → `$OUT_DIR/probes.bpf.o` with clang `-target bpf`.
//! 3. A host C program that includes wire.h and prints every constant, enum
//!    value, struct size and field offset as Rust `const`s into
//!    `$OUT_DIR/wire_layout.rs`; `src/wire.rs` asserts its `repr(C)` mirror
//!    against them, so a layout change in C that Rust does not follow fails
//!    the build.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("../..");
    let ebpf = root.join("ebpf");
    let include = ebpf.join("include");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed={}", ebpf.display());
    println!("cargo:rerun-if-env-changed=PANOPTES_VMLINUX_H");
    println!("cargo:rerun-if-env-changed=CLANG");
    println!("cargo:rerun-if-env-changed=PANOPTES_PROBES_SRC");
    let probes_src = env::var("PANOPTES_PROBES_SRC").map(PathBuf::from).unwrap_or_else(|_| ebpf.join("probes.bpf.c"));

    write_layout(&include.join("wire.h"), &out);

    let vmlinux_dir = out.join("vmlinux");
    fs::create_dir_all(&vmlinux_dir).unwrap();
    let vmlinux = vmlinux_dir.join("vmlinux.h");
    match env::var("PANOPTES_VMLINUX_H") {
        Ok(path) => {
            fs::copy(&path, &vmlinux).unwrap_or_else(|e| fail(&format!("copy {path}: {e}")));
        }
        Err(_) => {
            let dump = Command::new("bpftool")
                .args(["btf", "dump", "file", "/sys/kernel/btf/vmlinux", "format", "c"])
                .output()
                .unwrap_or_else(|e| {
                    fail(&format!("bpftool not runnable ({e}); run scripts/setup.sh or set PANOPTES_VMLINUX_H"))
                });
            if !dump.status.success() {
                fail(&format!(
                    "bpftool btf dump failed: {}; is /sys/kernel/btf/vmlinux present?",
                    String::from_utf8_lossy(&dump.stderr)
                ));
            }
            fs::write(&vmlinux, dump.stdout).unwrap();
        }
    }

    let clang = env::var("CLANG").unwrap_or_else(|_| "clang".into());
    let object = out.join("probes.bpf.o");
    let status = Command::new(&clang)
        .args(["-target", "bpf", "-D__TARGET_ARCH_x86", "-g", "-O2", "-Wall", "-Wno-unused-function"])
        .arg(format!("-I{}", vmlinux_dir.display()))
        .arg(format!("-I{}", include.display()))
        .arg("-c")
        .arg(&probes_src)
        .arg("-o")
        .arg(&object)
        .status()
        .unwrap_or_else(|e| fail(&format!("{clang} not runnable ({e}); run scripts/setup.sh")));
    if !status.success() {
        fail(&format!("clang failed to compile {}", probes_src.display()));
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("panoptes-sensor build: {msg}");
    std::process::exit(1);
}

/// Names whose values the Rust side needs: every `#define PN_*` and every
/// `PN_KIND_*` / `PN_OP_*` enumerator.
fn constant_names(header: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in header.lines() {
        let line = line.trim();
        let name = if let Some(rest) = line.strip_prefix("#define ") {
            rest.split_whitespace().next()
        } else if line.starts_with("PN_KIND_") || line.starts_with("PN_OP_") {
            line.split([' ', '=']).next()
        } else {
            None
        };
        if let Some(name) = name {
            if name.starts_with("PN_") && !name.contains('(') {
                names.push(name.to_string());
            }
        }
    }
    names
}

const STRUCT_FIELDS: &[(&str, &[&str])] = &[
    (
        "pn_header",
        &[
            "kind",
            "op",
            "size",
            "time_boot_ns",
            "start_boot_ns",
            "cgroup_id",
            "ret",
            "pid",
            "tid",
            "ppid",
            "uid",
            "gid",
            "euid",
            "egid",
            "comm",
        ],
    ),
    ("pn_blob", &["off", "len", "flags"]),
    ("pn_record", &["hdr", "args", "blobs", "data"]),
    ("pn_config", &["self_tgid", "forensics", "kinds_mask", "kill_flags"]),
    ("pn_kill_key", &["dev", "ino"]),
    ("pn_watch_key", &["prefixlen", "data"]),
];

fn write_layout(wire_h: &Path, out: &Path) {
    let header = fs::read_to_string(wire_h).unwrap_or_else(|e| fail(&format!("read {}: {e}", wire_h.display())));
    let mut c = String::from("#include <stdio.h>\n#include <stddef.h>\n#include \"wire.h\"\nint main(void) {\n");
    for name in constant_names(&header) {
        c.push_str(&format!("printf(\"pub const {name}: u64 = %llu;\\n\", (unsigned long long)({name}));\n"));
    }
    for (st, fields) in STRUCT_FIELDS {
        let up = st.to_uppercase();
        c.push_str(&format!("printf(\"pub const SIZEOF_{up}: usize = %zu;\\n\", sizeof(struct {st}));\n"));
        for f in *fields {
            let fu = f.to_uppercase();
            c.push_str(&format!(
                "printf(\"pub const OFFSETOF_{up}_{fu}: usize = %zu;\\n\", offsetof(struct {st}, {f}));\n"
            ));
        }
    }
    c.push_str("return 0;\n}\n");
    let src = out.join("wire_layout.c");
    let exe = out.join("wire_layout");
    fs::write(&src, c).unwrap();
    let cc = env::var("HOST_CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .arg(format!("-I{}", wire_h.parent().unwrap().display()))
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .status()
        .unwrap_or_else(|e| fail(&format!("{cc} not runnable: {e}")));
    if !status.success() {
        fail("host cc failed to compile the wire.h layout probe");
    }
    let printed = Command::new(&exe).output().unwrap_or_else(|e| fail(&format!("layout probe: {e}")));
    let mut rust = String::from_utf8(printed.stdout).unwrap();
    // Syscall names come from the PN_OP_* enumerator names.
    rust.push_str("/// The syscall an `op` stands for (`PN_OP_OPENAT` -> `openat`).\n");
    rust.push_str("pub fn op_name(op: u64) -> Option<&'static str> {\n    match op {\n");
    for name in constant_names(&header) {
        if let Some(sys) = name.strip_prefix("PN_OP_") {
            if sys != "NONE" {
                rust.push_str(&format!("        {name} => Some(\"{}\"),\n", sys.to_lowercase()));
            }
        }
    }
    rust.push_str("        _ => None,\n    }\n}\n");
    fs::write(out.join("wire_layout.rs"), rust).unwrap();
}
