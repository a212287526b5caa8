package cluster

import "k8s.io/client-go/rest"

// As returns clients that act as another user through the API server's
// impersonation: the grader applies a learner's submission with the
// rights the grading grants the learner, not with its own. The kinds the
// cluster serves are the same for everyone, so the mapper is shared.
func (c *Clients) As(user string, groups ...string) (*Clients, error) {
	cfg := rest.CopyConfig(c.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	out, err := newClients(cfg, c.Mapper, c.Context)
	if err != nil {
		return nil, err
	}
	out.Images = c.Images // cfg keeps the mapping transport
	return out, nil
}
