package main

import (
	"cmp"
	"crypto/x509"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tokenctl/tokenctl/convert"
	"github.com/tokenctl/tokenctl/seed"
	"github.com/tokenctl/tokenctl/upload"
	"github.com/tokenctl/tokenctl/upload/duo"
	"github.com/tokenctl/tokenctl/upload/entra"
)

func newUploadCmd(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "upload",
		Short: "Create tokens in Duo or Microsoft Entra ID through their APIs, assign and activate them",
		Long: `Upload seed files (any format tokenctl reads) straight into the identity
server: each token is looked up first (re-runs create nothing twice), created
with the right type, attached to the user the file names (a missing user is
reported, never created), and with Entra activated with a code computed from
its seed. Rate limits are waited out (Retry-After) and the request sent again
whole. The file is checked against the server's rules before anything is sent;
--dry-run stops there and shows the plan. TLS is always verified.`,
		Example: `  # DUO_IKEY and DUO_SKEY set
  tokenctl upload duo --from entra --api-host api-1234abcd.duosecurity.com tokens.csv
  # TOKENCTL_GRAPH_TOKEN set
  tokenctl upload entra --from entra --activate tokens.csv`,
	}
	c.AddCommand(newUploadDuoCmd(f), newUploadEntraCmd(f))
	return c
}

// uploadFlags are what both servers take: the job, its tokens' source.
type uploadFlags struct {
	upload.Job
	pskc func(o *convert.Options) error
	lf   ledgerFlags
}

func (u *uploadFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&u.From, "from", "", "format of the input file (default: detected)")
	c.Flags().StringVar(&u.CAFile, "ca-file", "", "PEM file of the CA that signs the server's certificate (default: the system's)")
	c.Flags().BoolVar(&u.DryRun, "dry-run", false, "check the file and look serials and users up; change nothing")
	u.pskc = pskcFlags(c)
	u.lf.add(c, true)
	selectionFlags(c, &u.Selection)
	c.Flags().Lookup("ledger").Usage = "upload the ledger's tokens (selected as for 'ledger export') instead of a FILE, and record in it where each went"
}

// run uploads the FILE, or the ledger's selection (upload.Job.Run, which
// refuses both or neither).
func (u *uploadFlags) run(c *cobra.Command, f *factory, args []string, server string, rules func(*seed.Token) []*seed.FieldError, newClient func(roots *x509.CertPool, onResult func(upload.Result)) (upload.Uploader, error)) error {
	u.Options, u.Rules, u.Server, u.Operator = &convert.Options{}, rules, server, u.lf.operatorName()
	if u.File = strings.Join(args, ""); u.lf.Path != "" {
		u.Access = &u.lf.Access
	} else if u.File != "" {
		if err := u.pskc(u.Options); err != nil {
			return err
		}
	}
	ctx, stop := interruptible(c.Context())
	defer stop()
	rep, err := u.Run(ctx, newClient)
	return cmp.Or(err, rep.Write(f.Out, f.JSON))
}

func newUploadDuoCmd(f *factory) *cobra.Command {
	var u uploadFlags
	var cfg duo.Config
	var ikeyFile, skeyFile string
	c := &cobra.Command{
		Use:   "duo [FILE | --ledger L]",
		Short: "Create hardware tokens through Duo's Admin API and attach them to users",
		Long: `Create each token of FILE through Duo's Admin API (HOTP 6/8 with its
counter, TOTP 6/8 with its step, YubiKey AES with its private ID) and
attach it to the user the file names (username or alias). A serial Duo
already has is kept and reported as existing (Duo cannot give its secret
back to compare) unless --replace deletes and creates it again. The Admin
API application needs "Grant write resource" and "Grant read resource".
Its keys never come from the command line (see --ikey-file, --skey-file).`,
		Example: `  tokenctl upload duo --from entra --api-host api-1234abcd.duosecurity.com --dry-run tokens.csv
  tokenctl upload duo --from duo-hotp --api-host api-1234abcd.duosecurity.com --skey-file duo.skey --json duo-hotp.csv`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if cfg.Host == "" {
				return usagef("--api-host: the Admin API hostname of your Duo account")
			}
			ik, sk, err := duo.Keys(ikeyFile, skeyFile)
			if err != nil {
				return err
			}
			return u.run(c, f, args, "duo", duo.Check, func(roots *x509.CertPool, on func(upload.Result)) (upload.Uploader, error) {
				cfg.IKey, cfg.SKey, cfg.RootCAs, cfg.DryRun, cfg.OnResult = ik, sk, roots, u.DryRun, on
				return upload.Client(duo.New(cfg))
			})
		},
	}
	u.add(c)
	c.Flags().StringVar(&cfg.Host, "api-host", "", "the Admin API hostname (api-XXXXXXXX.duosecurity.com)")
	c.Flags().BoolVar(&cfg.Replace, "replace", false, "delete a token Duo already has with that serial and create it again")
	c.Flags().StringVar(&ikeyFile, "ikey-file", "", "read the integration key from this file (default: DUO_IKEY)")
	c.Flags().StringVar(&skeyFile, "skey-file", "", "read the secret key from this file (default: DUO_SKEY)")
	return c
}

func newUploadEntraCmd(f *factory) *cobra.Command {
	var u uploadFlags
	var cfg entra.Config
	var tenant, clientID, secretFile string
	c := &cobra.Command{
		Use:   "entra [FILE | --ledger L]",
		Short: "Create hardware OATH tokens through Microsoft Graph, assign and activate them",
		Long: `Create each token of FILE as a hardware OATH device through Microsoft
Graph (beta), assign it to the user the file names and, with --activate,
activate it with the code its seed gives now (at most 200 activations per
5 minutes, as Microsoft allows). Sign-in: a bearer token in
TOKENCTL_GRAPH_TOKEN; or --tenant and --client-id with a client secret
(AZURE_CLIENT_SECRET or --client-secret-file) for automation; or
--tenant and --client-id alone for a device-code sign-in at the desk.
` + entra.Permissions,
		Example: `  tokenctl upload entra --from entra --dry-run tokens.csv
  tokenctl upload entra --tenant contoso.onmicrosoft.com --client-id 00000000-0000-0000-0000-000000000000 --activate tokens.csv`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			auth, err := entra.SignIn(tenant, clientID, secretFile, f.prompt)
			if err != nil {
				return err
			}
			return u.run(c, f, args, "entra", entra.CheckFill(cfg.Manufacturer, cfg.Model), func(roots *x509.CertPool, on func(upload.Result)) (upload.Uploader, error) {
				cfg.Auth, cfg.RootCAs, cfg.DryRun, cfg.OnResult = auth, roots, u.DryRun, on
				return upload.Client(entra.New(cfg))
			})
		},
	}
	u.add(c)
	c.Flags().StringVar(&cfg.BaseURL, "graph-url", "", "Graph's root (default "+entra.DefaultBaseURL+")")
	c.Flags().StringVar(&tenant, "tenant", "", "tenant ID or domain, for a client-secret or device-code sign-in")
	c.Flags().StringVar(&clientID, "client-id", "", "the application (client) ID to sign in with")
	c.Flags().StringVar(&secretFile, "client-secret-file", "", "read the client secret from this file (default: AZURE_CLIENT_SECRET)")
	c.Flags().StringVar(&cfg.Manufacturer, "manufacturer", "", "manufacturer for tokens without one (Graph requires it)")
	c.Flags().StringVar(&cfg.Model, "model", "", "model for tokens without one")
	c.Flags().BoolVar(&cfg.Activate, "activate", false, "activate each assigned token with the code its seed gives now")
	return c
}
