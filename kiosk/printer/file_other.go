//go:build !linux

package printer

import (
	"errors"
	"os"
)

func lpStatus(*os.File) (Status, error) {
	return Status{}, errors.New("port status needs Linux usblp")
}
