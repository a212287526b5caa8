// etcd for labgrade's offline kind node image: the same entry point as etcd's
// own server binary, so the image does not depend on etcd's repository layout.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
