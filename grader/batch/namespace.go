package batch

import (
	"crypto/sha256"
	"fmt"
	"regexp"
	"strings"
)

var notDNS = regexp.MustCompile(`[^a-z0-9]+`)

// maxNamespace is the length of a DNS label, which a namespace name is.
const maxNamespace = 63

// Namespace is where a submission is graded: the lab's namespace, the id
// as a DNS label as far as it reads as one, and a short hash of the exact
// id. Ids that read alike as DNS labels ("Ann Lee", "ann-lee", "ANN_LEE")
// or that have no DNS letters at all ("=1+1", "日本") still get namespaces
// of their own, and the namespace of an id is the same on every run.
// attempt > 1 names a fresh namespace for a retry ("-r2"), so that a retry
// never waits on the first attempt's namespace to be deleted.
func Namespace(labNamespace, id string, attempt int) string {
	sum := sha256.Sum256([]byte(id))
	tail := fmt.Sprintf("-%x", sum[:3])
	if attempt > 1 {
		tail += fmt.Sprintf("-r%d", attempt)
	}
	readable := strings.Trim(notDNS.ReplaceAllString(strings.ToLower(id), "-"), "-")
	head := labNamespace
	if readable != "" {
		head += "-" + readable
	}
	if room := maxNamespace - len(tail); len(head) > room {
		head = strings.TrimRight(head[:room], "-")
	}
	return head + tail
}
