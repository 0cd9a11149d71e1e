//! Building [`event::Container`] values: the id-only placeholder and the
//! Kubernetes pod fields every runtime carries as container labels.

use std::collections::BTreeMap;

use event::Container;

use crate::cgroup::ContainerRef;

/// Label with the Kubernetes pod name (set by every CRI runtime).
pub const LABEL_POD_NAME: &str = "io.kubernetes.pod.name";
/// Label with the Kubernetes pod namespace.
pub const LABEL_POD_NAMESPACE: &str = "io.kubernetes.pod.namespace";
/// Label with the Kubernetes pod uid.
pub const LABEL_POD_UID: &str = "io.kubernetes.pod.uid";
/// Label with the Kubernetes container name (containerd's CRI plugin).
pub const LABEL_CONTAINER_NAME: &str = "io.kubernetes.container.name";

/// What is known of a container before (or without) its runtime answering:
/// id, runtime and the pod uid from the cgroup path.
pub fn id_only(r: &ContainerRef) -> Container {
    Container {
        id: r.id.clone(),
        runtime: r.runtime.as_str().to_owned(),
        pod_uid: r.pod_uid.clone(),
        ..Container::default()
    }
}

/// A container with `labels`, the pod fields taken from the CRI labels and
/// the pod uid from the cgroup path when the labels have none.
pub fn with_labels(r: &ContainerRef, labels: BTreeMap<String, String>) -> Container {
    let mut c = id_only(r);
    c.pod = labels.get(LABEL_POD_NAME).cloned();
    c.namespace = labels.get(LABEL_POD_NAMESPACE).cloned();
    if let Some(uid) = labels.get(LABEL_POD_UID) {
        c.pod_uid = Some(uid.clone());
    }
    c.labels = labels;
    c
}

/// `None` for an empty string: runtimes say "unknown" with "".
pub fn non_empty(s: impl Into<String>) -> Option<String> {
    let s = s.into();
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Runtime;

    fn reference() -> ContainerRef {
        ContainerRef { id: "a".repeat(64), runtime: Runtime::CriO, pod_uid: Some("from-cgroup".into()) }
    }

    #[test]
    fn id_only_keeps_cgroup_facts() {
        let c = id_only(&reference());
        assert_eq!((c.id.len(), c.runtime.as_str(), c.pod_uid.as_deref()), (64, "cri-o", Some("from-cgroup")));
        assert_eq!((c.name, c.image, c.labels.len()), (None, None, 0));
    }

    #[test]
    fn pod_fields_from_labels() {
        let labels: BTreeMap<String, String> =
            [(LABEL_POD_NAME, "web-0"), (LABEL_POD_NAMESPACE, "shop"), (LABEL_POD_UID, "1234"), ("team", "blue")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
        let c = with_labels(&reference(), labels);
        assert_eq!(c.pod.as_deref(), Some("web-0"));
        assert_eq!(c.namespace.as_deref(), Some("shop"));
        assert_eq!(c.pod_uid.as_deref(), Some("1234"));
        assert_eq!(c.labels.get("team").map(String::as_str), Some("blue"));
    }

    #[test]
    fn pod_uid_falls_back_to_cgroup() {
        let c = with_labels(&reference(), BTreeMap::new());
        assert_eq!(c.pod_uid.as_deref(), Some("from-cgroup"));
        assert_eq!(non_empty(""), None);
        assert_eq!(non_empty("x").as_deref(), Some("x"));
    }
}
