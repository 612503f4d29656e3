using System.Runtime.InteropServices;

namespace Caseline.Server.Storage;

/// <summary>
/// Everything the server writes (the SQLite database and its WAL, backups, the bulk-sync spool, the key ring, the
/// node files) holds personal data or guards it, so it is readable by the server's own user only, whatever umask the
/// process was started with: files 0600, folders 0700. The process's umask is set to 077 before anything is written,
/// as PostgreSQL's postmaster does, so that files made by SQLite or by the framework are covered as well as ours.
/// </summary>
internal static class OwnerOnlyFiles
{
    private const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void Apply(string dataDirectory)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // a folder's ACL, inherited from where the administrator put it, decides there
        }

        _ = SetUmask(0b000_111_111); // umask cannot fail; it answers the mask it replaced
        var folder = new DirectoryInfo(dataDirectory);
        if (!folder.Exists)
        {
            folder.Create();
        }
        else if ((folder.UnixFileMode & ~Folder) != 0)
        {
            // A data folder from before this rule, or made by hand: closing it closes everything in it.
            try
            {
                folder.UnixFileMode = Folder;
            }
            catch (UnauthorizedAccessException)
            {
                // Someone else's folder keeps the modes its owner chose; what the server makes in it is still its own.
            }
        }
    }

    // DllImport, not LibraryImport: its arguments are blittable, and the project allows no unsafe code.
    [DllImport("libc", EntryPoint = "umask")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern uint SetUmask(uint mask);
}
