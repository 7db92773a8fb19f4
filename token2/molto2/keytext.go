package molto2

// KeyText decodes a customer key as it is written (the factory key reads
// "TOKEN2MOLTO1-KEY"): its bytes, refused when CheckCustomerKey refuses
// them. It is a secretin.Decoder, for keys read from a file, standard
// input or an environment variable.
var KeyText keyText

type keyText struct{}

func (keyText) Decode(s string) ([]byte, error) {
	if err := CheckCustomerKey([]byte(s)); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

func (keyText) String() string { return "a customer key" }
