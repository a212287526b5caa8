// Package batch grades a class: many submissions of one lab in one grading
// session, each in a sandboxed namespace of its own, N at once, as a queue
// rather than a loop. A submission that errors, hangs or is hostile holds
// only its own slot; an environment error is retried once in a fresh
// namespace; a rerun skips what is already graded (same lab, same
// submission); Ctrl-C stops starting new gradings and writes the summary
// of what was done.
//
// Files of the package, one idea each:
//
//   - submission.go: who is graded (ids from directory names or id=dir,
//     --from files) and the checks on ids that come from learners;
//   - digest.go: what a grade was made from, and whether a rerun may skip;
//   - namespace.go: the namespace each submission is graded in;
//   - parallel.go: how many at once, from the host's CPUs and memory;
//   - schedule.go: N at once, nothing new after Ctrl-C (lab test's too);
//   - queue.go: one submission's life (deadline, retry, files, resume);
//   - files.go: the per-submission files under DIR/<id>/;
//   - summary.go, html.go: the class files (CSV, JSON, Markdown, HTML);
//   - progress.go: the live line on a terminal, plain lines elsewhere.
package batch
