package nfc

import "errors"

// withLe returns cmd with its Le set to le (short APDU cases 1 to 4).
func withLe(cmd []byte, le byte) ([]byte, error) {
	out := append([]byte(nil), cmd...)
	switch {
	case len(cmd) == 4: // case 1: add Le
		return append(out, le), nil
	case len(cmd) == 5: // case 2: replace Le
		out[4] = le
		return out, nil
	case cmd[4] != 0 && len(cmd) == 5+int(cmd[4]): // case 3: add Le
		return append(out, le), nil
	case cmd[4] != 0 && len(cmd) == 6+int(cmd[4]): // case 4: replace Le
		out[len(out)-1] = le
		return out, nil
	}
	return nil, errors.New("transmit: card asked for another Le (6C XX) on a command that is not a short APDU")
}
