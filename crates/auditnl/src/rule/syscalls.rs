//! Syscall names to numbers for the native architecture (x86_64), taken from
//! `libc::SYS_*` so there is no hand-typed number in this crate. Audit rules
//! carry syscall numbers of the rule's arch; rules for other arches (i386
//! compat calls) need their own table, which this crate does not have.

/// `(name, number)` for the syscalls audit rules commonly name.
#[cfg(target_arch = "x86_64")]
macro_rules! table {
    ($($name:ident),* $(,)?) => {
        &[$((stringify!($name), libc::$name as u32)),*]
    };
}

#[cfg(target_arch = "x86_64")]
const TABLE: &[(&str, u32)] = table![
    SYS_read,
    SYS_write,
    SYS_open,
    SYS_close,
    SYS_stat,
    SYS_fstat,
    SYS_lstat,
    SYS_poll,
    SYS_lseek,
    SYS_mmap,
    SYS_mprotect,
    SYS_munmap,
    SYS_brk,
    SYS_rt_sigaction,
    SYS_rt_sigprocmask,
    SYS_rt_sigreturn,
    SYS_ioctl,
    SYS_pread64,
    SYS_pwrite64,
    SYS_readv,
    SYS_writev,
    SYS_access,
    SYS_pipe,
    SYS_select,
    SYS_mremap,
    SYS_dup,
    SYS_dup2,
    SYS_nanosleep,
    SYS_getpid,
    SYS_sendfile,
    SYS_socket,
    SYS_connect,
    SYS_accept,
    SYS_sendto,
    SYS_recvfrom,
    SYS_sendmsg,
    SYS_recvmsg,
    SYS_shutdown,
    SYS_bind,
    SYS_listen,
    SYS_getsockname,
    SYS_getpeername,
    SYS_socketpair,
    SYS_setsockopt,
    SYS_getsockopt,
    SYS_clone,
    SYS_fork,
    SYS_vfork,
    SYS_execve,
    SYS_exit,
    SYS_wait4,
    SYS_kill,
    SYS_uname,
    SYS_fcntl,
    SYS_flock,
    SYS_fsync,
    SYS_truncate,
    SYS_ftruncate,
    SYS_getdents,
    SYS_getcwd,
    SYS_chdir,
    SYS_fchdir,
    SYS_rename,
    SYS_mkdir,
    SYS_rmdir,
    SYS_creat,
    SYS_link,
    SYS_unlink,
    SYS_symlink,
    SYS_readlink,
    SYS_chmod,
    SYS_fchmod,
    SYS_chown,
    SYS_fchown,
    SYS_lchown,
    SYS_umask,
    SYS_ptrace,
    SYS_getuid,
    SYS_syslog,
    SYS_getgid,
    SYS_setuid,
    SYS_setgid,
    SYS_geteuid,
    SYS_getegid,
    SYS_setpgid,
    SYS_getppid,
    SYS_setsid,
    SYS_setreuid,
    SYS_setregid,
    SYS_setgroups,
    SYS_setresuid,
    SYS_setresgid,
    SYS_setfsuid,
    SYS_setfsgid,
    SYS_capset,
    SYS_mknod,
    SYS_personality,
    SYS_chroot,
    SYS_adjtimex,
    SYS_pivot_root,
    SYS_settimeofday,
    SYS_mount,
    SYS_umount2,
    SYS_swapon,
    SYS_swapoff,
    SYS_reboot,
    SYS_sethostname,
    SYS_setdomainname,
    SYS_iopl,
    SYS_ioperm,
    SYS_init_module,
    SYS_delete_module,
    SYS_setxattr,
    SYS_lsetxattr,
    SYS_fsetxattr,
    SYS_removexattr,
    SYS_lremovexattr,
    SYS_fremovexattr,
    SYS_tkill,
    SYS_clock_settime,
    SYS_exit_group,
    SYS_tgkill,
    SYS_openat,
    SYS_mkdirat,
    SYS_mknodat,
    SYS_fchownat,
    SYS_unlinkat,
    SYS_renameat,
    SYS_linkat,
    SYS_symlinkat,
    SYS_fchmodat,
    SYS_unshare,
    SYS_accept4,
    SYS_setns,
    SYS_open_by_handle_at,
    SYS_kexec_load,
    SYS_finit_module,
    SYS_renameat2,
    SYS_memfd_create,
    SYS_kexec_file_load,
    SYS_bpf,
    SYS_execveat,
    SYS_userfaultfd,
    SYS_process_vm_readv,
    SYS_process_vm_writev,
    SYS_clone3,
    SYS_openat2,
    SYS_pidfd_open,
    SYS_pidfd_getfd,
    SYS_fchmodat2,
    SYS_io_uring_setup,
    SYS_io_uring_enter,
    SYS_perf_event_open,
    SYS_fanotify_init,
    SYS_fanotify_mark,
    SYS_name_to_handle_at,
    SYS_move_mount,
    SYS_fsopen,
    SYS_fsmount,
    SYS_open_tree,
    SYS_pidfd_send_signal,
    SYS_rt_sigqueueinfo,
    SYS_rt_tgsigqueueinfo,
    SYS_keyctl,
    SYS_add_key,
    SYS_request_key,
];

#[cfg(not(target_arch = "x86_64"))]
const TABLE: &[(&str, u32)] = &[];

/// The native number of `name` (`execve`, not `SYS_execve`).
pub fn number(name: &str) -> Option<u32> {
    TABLE.iter().find(|(n, _)| n.strip_prefix("SYS_") == Some(name)).map(|(_, nr)| *nr)
}

/// The native name of syscall `nr`, for messages and rule listings.
pub fn name(nr: u32) -> Option<&'static str> {
    TABLE.iter().find(|(_, n)| *n == nr).and_then(|(name, _)| name.strip_prefix("SYS_"))
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    #[test]
    fn knows_the_panoptes_syscalls() {
        assert_eq!(number("execve"), Some(59));
        assert_eq!(number("connect"), Some(42));
        assert_eq!(number("openat2"), Some(437));
        assert_eq!(number("SYS_execve"), None);
        assert_eq!(name(59), Some("execve"));
        assert_eq!(number("no_such_call"), None);
    }
}
