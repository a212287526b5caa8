package batch

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Submission is one learner's directory and the id it is known by: the
// name of its directory under the batch's output, its row in the summary.
type Submission struct {
	ID  string `json:"id"`
	Dir string `json:"dir"`
}

// maxIDBytes bounds an id: it becomes a directory name (255 bytes on most
// file systems) and part of a namespace.
const maxIDBytes = 128

// reserved are the class files in the output directory: an id must not
// name a directory in their place.
var reserved = map[string]bool{
	"summary.csv": true, "summary.json": true, "summary.md": true, "index.html": true,
}

// CheckID says why id cannot name a submission, or nil. Ids come from
// directory names an LMS export chose, so they are learner-controlled:
// anything printable is allowed (spaces, '@', '=', non-ASCII) since every
// output escapes it, but nothing that could name another path under the
// output directory (a separator, "." or "..", a hidden name), reach a
// terminal or a log as a control, or collide with a class file.
func CheckID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("an id must not be empty")
	case len(id) > maxIDBytes:
		return fmt.Errorf("id %.40q... is longer than %d bytes", id, maxIDBytes)
	case !utf8.ValidString(id):
		return fmt.Errorf("id %q is not valid UTF-8", id)
	case strings.HasPrefix(id, "."):
		return fmt.Errorf("id %q starts with '.': it could name a hidden file or a parent directory", id)
	case strings.ContainsAny(id, `/\`):
		return fmt.Errorf("id %q contains a path separator", id)
	case reserved[strings.ToLower(id)]:
		return fmt.Errorf("id %q is the name of a class file in the output directory: give the submission another id (ID=DIR)", id)
	}
	for _, r := range id {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == unicode.ReplacementChar {
			return fmt.Errorf("id %q contains a control or format character (%U)", id, r)
		}
	}
	if strings.TrimSpace(id) != id {
		return fmt.Errorf("id %q starts or ends with a space", id)
	}
	return nil
}

// ParseArg reads one submission argument: ID=DIR, or DIR whose id is its
// base name. An argument that names an existing directory as a whole is a
// directory, so that a directory whose name holds '=' (a learner may have
// chosen "=1+1") is never split.
func ParseArg(arg string) (Submission, error) {
	return parseArg(arg, "")
}

// parseArg is ParseArg with relative directories taken from base ("" =
// the working directory).
func parseArg(arg, base string) (Submission, error) {
	resolve := func(dir string) string {
		if base != "" && !filepath.IsAbs(dir) {
			return filepath.Join(base, dir)
		}
		return dir
	}
	if arg == "" {
		return Submission{}, fmt.Errorf("empty submission argument")
	}
	s := Submission{Dir: resolve(arg)}
	if _, err := os.Stat(s.Dir); err != nil {
		if id, dir, ok := strings.Cut(arg, "="); ok && id != "" && dir != "" {
			s = Submission{ID: id, Dir: resolve(dir)}
		}
	}
	if s.ID == "" {
		s.ID = filepath.Base(filepath.Clean(s.Dir))
	}
	if err := CheckID(s.ID); err != nil {
		return s, fmt.Errorf("submission %s: %w", s.Dir, err)
	}
	st, err := os.Stat(s.Dir)
	switch {
	case err != nil:
		return s, fmt.Errorf("submission %s: %w", s.ID, err)
	case !st.IsDir():
		return s, fmt.Errorf("submission %s: %s is not a directory", s.ID, s.Dir)
	}
	return s, nil
}

// ReadList reads a --from file: one submission a line (DIR or ID=DIR, as
// on the command line), relative directories taken from the file's own
// directory; blank lines and lines starting with '#' are left out. Every
// bad line is reported, as FILE:LINE: why.
func ReadList(file string) ([]Submission, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var subs []Submission
	var problems []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		s, err := parseArg(line, filepath.Dir(file))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: %v", file, n, err))
			continue
		}
		subs = append(subs, s)
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", file, err))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return subs, nil
}

// Collect reads the submissions of the command line and of a --from file
// ("" = none) and refuses two with the same id, naming both directories:
// their files would overwrite each other's. Ids are compared without case,
// as a case-insensitive file system would.
func Collect(args []string, from string) ([]Submission, error) {
	var subs []Submission
	var problems []string
	for _, a := range args {
		s, err := ParseArg(a)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		subs = append(subs, s)
	}
	if from != "" {
		listed, err := ReadList(from)
		if err != nil {
			problems = append(problems, err.Error())
		}
		subs = append(subs, listed...)
	}
	seen := map[string]Submission{}
	for _, s := range subs {
		key := strings.ToLower(s.ID)
		if first, dup := seen[key]; dup {
			problems = append(problems, fmt.Sprintf("two submissions have the id %q (%s and %s): name one with ID=DIR", s.ID, first.Dir, s.Dir))
			continue
		}
		seen[key] = s
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	if len(subs) == 0 {
		return nil, fmt.Errorf("no submissions: name their directories, or a file listing them with --from")
	}
	return subs, nil
}
