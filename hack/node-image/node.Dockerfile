# The kind node image, assembled the way kind's base image is (same files,
# same systemd trimming), on a Debian rootfs made with debootstrap.
ARG ROOTFS
FROM ${ROOTFS}
COPY root/ /
RUN set -eux; \
    : "systemd inside a container: no tmpfiles-setup, no default wants"; \
    find /lib/systemd/system/sysinit.target.wants/ -name systemd-tmpfiles-setup.service -delete; \
    rm -f /lib/systemd/system/multi-user.target.wants/* /etc/systemd/system/*.wants/* \
          /lib/systemd/system/local-fs.target.wants/* /lib/systemd/system/sockets.target.wants/*udev* \
          /lib/systemd/system/sockets.target.wants/*initctl* /lib/systemd/system/basic.target.wants/*; \
    echo "ReadKMsg=no" >> /etc/systemd/journald.conf; \
    ln -sf /usr/lib/systemd/systemd /sbin/init; \
    : "kind's units run containerd from /usr/local/bin; Debian installs it in /usr/bin"; \
    for b in containerd containerd-shim-runc-v2 ctr; do ln -sf /usr/bin/$b /usr/local/bin/$b; done; \
    : "containerd looks for CNI plugins in /opt/cni/bin; Debian ships them in /usr/lib/cni"; \
    mkdir -p /opt/cni/bin /etc/cni/net.d; for p in /usr/lib/cni/*; do ln -sf $p /opt/cni/bin/; done; \
    : "base OCI spec for pods: kind's product_uuid hook, no rlimits"; \
    ctr oci spec | jq '.hooks.createContainer = ((.hooks.createContainer // []) + [{"path": "/kind/bin/mount-product-files.sh"}]) | del(.process.rlimits)' > /etc/containerd/cri-base.json; \
    systemctl enable kubelet.service containerd.service undo-mount-hacks.service; \
    systemctl mask systemd-binfmt.service; \
    mkdir -p /etc/kubernetes/manifests; \
    containerd --version; runc --version | head -1; kubelet --version; crictl --version
ENV container=docker
STOPSIGNAL SIGRTMIN+3
ENTRYPOINT ["/usr/local/bin/entrypoint", "/sbin/init"]
