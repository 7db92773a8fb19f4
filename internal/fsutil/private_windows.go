//go:build windows

package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Owner-only on Windows is an access list, not mode bits (Go reports every
// writable file as 0666 there). A file tokenctl creates gets, at creation
// (CreateFile's security attributes, never a change after the fact), an
// owner that is the current user and a protected DACL (nothing inherited
// from the folder) granting full control to the current user and to
// SYSTEM only. SYSTEM is kept because backup, indexing and antivirus run as
// it and, holding every privilege, it could take the file anyway; denying
// it only breaks backups. Administrators are not granted access, as root
// gets no bits on Linux: an administrator can still take ownership, which
// leaves a trace in the security log, as it should. An existing file is
// accepted as private when its owner is the current user (or the
// Administrators group for an elevated administrator, Windows' default
// owner for their files) and its DACL allows no one but the current user,
// SYSTEM and Administrators.

// currentUser is the SID of the account the process runs as.
func currentUser() (*windows.SID, error) {
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("reading the current user: %w", err)
	}
	return tu.User.Sid.Copy()
}

// privateSD is the security descriptor of a new private file.
func privateSD() (*windows.SECURITY_DESCRIPTOR, error) {
	user, err := currentUser()
	if err != nil {
		return nil, err
	}
	return windows.SecurityDescriptorFromString(fmt.Sprintf("O:%sD:P(A;;FA;;;%s)(A;;FA;;;SY)", user, user))
}

func checkOwnerOnly(path string, fi fs.FileInfo) error {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("reading the access list of %s: %w", path, err)
	}
	return judgeSD(path, sd)
}

// checkHandle judges the file open as f by its own security descriptor (no
// second lookup by name that a swap could redirect).
func checkHandle(path string, f *os.File) error {
	sd, err := windows.GetSecurityInfo(windows.Handle(f.Fd()), windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("reading the access list of %s: %w", path, err)
	}
	return judgeSD(path, sd)
}

func judgeSD(path string, sd *windows.SECURITY_DESCRIPTOR) error {
	user, err := currentUser()
	if err != nil {
		return err
	}
	system, _ := windows.CreateWellKnownSid(windows.WinLocalSystemSid)
	admins, _ := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	owner, _, err := sd.Owner()
	if err != nil || owner == nil {
		return fmt.Errorf("%s has no owner: %w", path, ErrNotPrivate)
	}
	if !owner.Equals(user) && !(admins != nil && owner.Equals(admins) && isMember(admins)) {
		return fmt.Errorf("%s belongs to another account (%s): %w", path, accountName(owner), ErrNotPrivate)
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		return fmt.Errorf("%s has no access list, so everyone may open it: %w", path, ErrNotPrivate)
	}
	for i := uint32(0); i < uint32(dacl.AceCount); i++ {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return fmt.Errorf("reading the access list of %s: %w", path, err)
		}
		switch ace.Header.AceType {
		case windows.ACCESS_DENIED_ACE_TYPE:
			continue
		case windows.ACCESS_ALLOWED_ACE_TYPE:
		default:
			return fmt.Errorf("%s has an access entry of type %d that tokenctl does not judge: %w", path, ace.Header.AceType, ErrNotPrivate)
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if sid.Equals(user) || (system != nil && sid.Equals(system)) || (admins != nil && sid.Equals(admins)) {
			continue
		}
		return fmt.Errorf("%s is open to %s: %w", path, accountName(sid), ErrNotPrivate)
	}
	return nil
}

func isMember(sid *windows.SID) bool {
	ok, err := windows.Token(0).IsMember(sid)
	return err == nil && ok
}

func accountName(sid *windows.SID) string {
	if a, d, _, err := sid.LookupAccount(""); err == nil {
		if d != "" {
			return d + `\` + a
		}
		return a
	}
	return sid.String()
}

// openPrivateFile opens path as os.OpenFile would with flag, except that a
// file it creates is private from its creation, a reparse point (symbolic
// link, junction) at path is opened as itself and refused rather than
// followed, and anything but a file on disk (a device such as NUL or COM1,
// a pipe) is refused.
func openPrivateFile(path string, flag int) (*os.File, error) {
	name, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var access uint32 = windows.READ_CONTROL | windows.FILE_READ_ATTRIBUTES | windows.SYNCHRONIZE
	switch {
	case flag&os.O_APPEND != 0:
		// GENERIC_READ as well: LockFileEx needs read or write access,
		// and GENERIC_WRITE would not keep writes at the end.
		access |= windows.FILE_APPEND_DATA | windows.GENERIC_READ
	case flag&(os.O_WRONLY|os.O_RDWR) != 0:
		access |= windows.GENERIC_WRITE | windows.GENERIC_READ
	default:
		access |= windows.GENERIC_READ
	}
	disp := uint32(windows.OPEN_EXISTING)
	switch {
	case flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		disp = windows.CREATE_NEW
	case flag&os.O_CREATE != 0:
		disp = windows.OPEN_ALWAYS
	}
	sd, err := privateSD()
	if err != nil {
		return nil, err
	}
	sa := &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), SecurityDescriptor: sd}
	h, err := windows.CreateFile(name, access, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, sa, disp,
		windows.FILE_ATTRIBUTE_NORMAL|windows.FILE_FLAG_OPEN_REPARSE_POINT, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if t, err := windows.GetFileType(h); err != nil || t != windows.FILE_TYPE_DISK {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("%s is a device or pipe, not a file: %w", path, ErrNotPrivate)
	}
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &info); err != nil {
		windows.CloseHandle(h)
		return nil, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if info.FileAttributes&windows.FILE_ATTRIBUTE_REPARSE_POINT != 0 {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("%s is a symbolic link or junction: refusing to follow it: %w", path, ErrNotPrivate)
	}
	if info.FileAttributes&windows.FILE_ATTRIBUTE_DIRECTORY != 0 {
		windows.CloseHandle(h)
		return nil, fmt.Errorf("%s is a directory: %w", path, ErrNotPrivate)
	}
	return os.NewFile(uintptr(h), path), nil
}

func isSymlinkRefusal(error) bool { return false }

func lockFile(f *os.File) error {
	var ol windows.Overlapped
	return windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 0xFFFFFFFF, 0xFFFFFFFF, &ol)
}

func unlockFile(f *os.File) error {
	var ol windows.Overlapped
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 0xFFFFFFFF, 0xFFFFFFFF, &ol)
}

// replaceFile moves from over to with MoveFileEx (replace, write through).
// A target that another program holds open (Excel keeps its file locked)
// cannot be replaced: that is said plainly, and from is left for the caller
// to remove, so the target keeps its old content whole.
func replaceFile(from, to string) error {
	f, err := windows.UTF16PtrFromString(from)
	if err != nil {
		return err
	}
	t, err := windows.UTF16PtrFromString(to)
	if err != nil {
		return err
	}
	err = windows.MoveFileEx(f, t, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH)
	if errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return fmt.Errorf("%s is open in another program (Excel?) or read-only: close it and run again; it was left as it was: %w", to, err)
	}
	if err != nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}
