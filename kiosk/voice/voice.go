// Package voice reads text aloud with espeak-ng's Mandarin voice, when
// espeak-ng is installed (Debian: `apt-get install espeak-ng`).
package voice

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
)

// Espeak speaks through the espeak-ng program.
type Espeak struct {
	Path  string // the espeak-ng binary
	Voice string // "cmn" (Mandarin)
	Speed int    // words a minute; slow for elderly listeners
}

// Find returns an Espeak when espeak-ng is on the PATH, or an error saying
// how to install it.
func Find() (*Espeak, error) {
	p, err := exec.LookPath("espeak-ng")
	if err != nil {
		return nil, fmt.Errorf("voice: espeak-ng is not installed (apt-get install espeak-ng): %w", err)
	}
	return &Espeak{Path: p, Voice: "cmn", Speed: 130}, nil
}

// Speak reads text and returns when done or when ctx ends (the reading
// stops).
func (e *Espeak) Speak(ctx context.Context, text string) error {
	cmd := exec.CommandContext(ctx, e.Path, "-v", e.Voice, "-s", fmt.Sprint(e.Speed), "--", text)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("voice: espeak-ng failed (%s): %w", ee.ProcessState, err)
		}
		return fmt.Errorf("voice: %w", err)
	}
	return nil
}
