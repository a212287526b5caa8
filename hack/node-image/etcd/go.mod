module labgrade.local/etcd

go 1.26
