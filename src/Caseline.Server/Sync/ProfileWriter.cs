using Caseline.Messages;
using Caseline.Messages.Json;
using Caseline.Server.Log;
using Caseline.Server.Storage;

namespace Caseline.Server.Sync;

/// <summary>
/// Applies profile changes inside one write unit. Every change compares the new state of a section or
/// item with the stored one; a real difference updates the row and appends exactly one message to the
/// agency's log in the same transaction, and an unchanged write touches nothing.
/// </summary>
/// <param name="scope">The write unit.</param>
/// <param name="agencyId">The agency written to.</param>
/// <param name="updatedBy">The login written as <c>UpdatedBy</c>.</param>
/// <param name="origin">The writer's credentials (<see cref="Identity.Caller.Origin"/>), kept beside each message.</param>
internal sealed class ProfileWriter(WriteScope scope, long agencyId, string updatedBy, string origin)
{
    private readonly ClientStorage _clients = scope.Database.Clients;

    /// <summary>How many messages this unit appended.</summary>
    public int MessagesWritten { get; private set; }

    public bool ClientExists(string clientId) => _clients.Exists(scope, agencyId, clientId);

    /// <summary>Whether the client exists, and the stored bytes of one of its sections or items (null when not stored), in one query.</summary>
    public (bool Exists, byte[]? Stored) ClientAndStored(string clientId, Section section, string? itemId) =>
        _clients.FindWithSection(scope, agencyId, clientId, section, itemId);

    public void CreateClient(string clientId) => _clients.Insert(scope, agencyId, clientId);

    /// <summary>Every stored section and item of the client, keyed by section and item id.</summary>
    public Dictionary<(Section Section, string ItemId), byte[]> Stored(string clientId) => _clients.StoredSections(scope, agencyId, clientId);

    public byte[]? Stored(string clientId, Section section, string? itemId) => _clients.StoredSection(scope, agencyId, clientId, section, itemId);

    /// <summary>
    /// Makes the stored section or item equal to <paramref name="details"/>. A client's own section
    /// with no value left is removed. Returns what happened, or null when nothing changed.
    /// </summary>
    /// <param name="clientId">The client.</param>
    /// <param name="details">The new state.</param>
    /// <param name="stored">The stored bytes when the caller already read them (bulk sync), else read here.</param>
    /// <param name="known">Whether <paramref name="stored"/> was read by the caller (null then means "not stored").</param>
    public ChangeVerb? Put(string clientId, SectionDetails details, byte[]? stored = null, bool known = false)
    {
        var itemId = (details as ItemDetails)?.IntegrationId ?? ClientStorage.NoItem;
        stored = known ? stored : Stored(clientId, details.Section, itemId);
        if (details.IsEmpty && details is not ItemDetails)
        {
            return stored is null ? null : Delete(clientId, details.Section, itemId, stored);
        }

        var bytes = MessageWriter.DetailsToUtf8Bytes(details);
        if (stored is not null && bytes.AsSpan().SequenceEqual(stored))
        {
            return null;
        }

        _clients.PutSection(scope, agencyId, clientId, details.Section, itemId, bytes);
        var verb = stored is null ? ChangeVerb.Created : ChangeVerb.Updated;
        Append(clientId, details, verb);
        return verb;
    }

    /// <summary>Removes an item (or a client's own section), appending a <c>Removed</c> message with its last state; null when there was nothing.</summary>
    public ChangeVerb? Remove(string clientId, Section section, string? itemId, byte[]? stored = null)
    {
        stored ??= Stored(clientId, section, itemId);
        return stored is null ? null : Delete(clientId, section, itemId ?? ClientStorage.NoItem, stored);
    }

    private ChangeVerb Delete(string clientId, Section section, string itemId, byte[] stored)
    {
        _clients.DeleteSection(scope, agencyId, clientId, section, itemId);
        Append(clientId, MessageReader.ReadDetails(stored, section), ChangeVerb.Removed);
        return ChangeVerb.Removed;
    }

    private void Append(string clientId, SectionDetails details, ChangeVerb verb)
    {
        // The message gets its position when the batch commits: see WriteScope.AssignPositions.
        var message = ClientMessage.Create(clientId, details, verb, scope.Now, updatedBy);
        scope.Append(new AppendedMessage(
            agencyId, clientId, details.SubType, message.Activity.Identifier.ToString("D"), scope.Now, MessageWriter.ToUtf8Bytes(message), origin, scope.Trace));
        MessagesWritten++;

        // The client row keeps what listing and search filter on: names, status, caseload and officer.
        var removed = verb == ChangeVerb.Removed;
        if (details is PersonalDetails personal)
        {
            _clients.SetNames(
                scope, agencyId, clientId, removed ? null : personal.FirstName, removed ? null : personal.LastName,
                removed ? null : SearchName(personal.FirstName, personal.LastName));
        }
        else if (details is AccountDetails account)
        {
            _clients.SetAssignment(
                scope, agencyId, clientId, removed ? null : account.Status, removed ? null : account.AssignedCaseload, removed ? null : account.AssignedOfficer);
        }
    }

    /// <summary>What name search matches against: both names, lower-cased, so one query serves every provider.</summary>
    public static string SearchName(string? first, string? last) =>
        $"{first} {last}".Trim().ToLowerInvariant();
}
