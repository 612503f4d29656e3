using System.Data.Common;

namespace Caseline.Server.Storage;

/// <summary>
/// The storage contract, written once. Everything above it speaks plain ADO.NET with named
/// parameters and portable SQL (<c>INSERT … ON CONFLICT</c>, <c>RETURNING</c>); a provider only says
/// how to connect, how to open a write transaction, and what its schema scripts are.
/// </summary>
internal abstract class Database
{
    /// <summary>A short name for logs and health output.</summary>
    public abstract string Provider { get; }

    /// <summary>Schema scripts, one per version, applied in order at start.</summary>
    public abstract IReadOnlyList<string> Migrations { get; }

    /// <summary>Opens a connection for reading.</summary>
    public abstract DbConnection OpenReader();

    /// <summary>Opens the connection the write queue keeps for its whole life.</summary>
    public abstract DbConnection OpenWriter();

    /// <summary>Starts a read-only transaction whose queries all see one snapshot.</summary>
    public abstract DbTransaction BeginRead(DbConnection connection);

    /// <summary>Starts a write transaction that takes the write lock at once.</summary>
    public abstract DbTransaction BeginWrite(DbConnection connection);

    /// <summary>Writes an online, consistent copy of the whole store to <paramref name="path"/> (a new file).</summary>
    public abstract void Backup(string path);

    /// <summary>Whether <paramref name="exception"/> says the disk is full (the store's own code, or a file's ENOSPC / ERROR_DISK_FULL).</summary>
    public virtual bool IsOutOfSpace(Exception exception) => exception is IOException { HResult: 28 or unchecked((int)0x80070070) };
}
