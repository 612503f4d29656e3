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
    private const string NoItem = "";

    /// <summary>How many messages this unit appended.</summary>
    public int MessagesWritten { get; private set; }

    public bool ClientExists(string clientId) =>
        scope.Scalar<long>(
            "SELECT COUNT(*) FROM clients WHERE agency_id = @agency AND client_id = @client", ("@agency", agencyId), ("@client", clientId)) > 0;

    /// <summary>Whether the client exists, and the stored bytes of one of its sections or items (null when not stored), in one query.</summary>
    public (bool Exists, byte[]? Stored) ClientAndStored(string clientId, Section section, string? itemId)
    {
        using var reader = scope.Query(
            """
            SELECT c.client_id, s.details FROM clients c
            LEFT JOIN sections s ON s.agency_id = c.agency_id AND s.client_id = c.client_id AND s.section = @section AND s.item_id = @item
            WHERE c.agency_id = @agency AND c.client_id = @client
            """, ("@agency", agencyId), ("@client", clientId), ("@section", section.Name), ("@item", itemId ?? NoItem));
        return reader.Read() ? (true, reader.IsDBNull(1) ? null : reader.Bytes(1)) : (false, null);
    }

    public void CreateClient(string clientId) =>
        scope.Execute(
            "INSERT INTO clients (agency_id, client_id, created_at) VALUES (@agency, @client, @now)",
            ("@agency", agencyId), ("@client", clientId), ("@now", scope.Now.UtcTicks));

    /// <summary>Every stored section and item of the client, keyed by section and item id.</summary>
    public Dictionary<(Section Section, string ItemId), byte[]> Stored(string clientId)
    {
        var stored = new Dictionary<(Section, string), byte[]>();
        using var reader = scope.Query(
            "SELECT section, item_id, details FROM sections WHERE agency_id = @agency AND client_id = @client",
            ("@agency", agencyId), ("@client", clientId));
        while (reader.Read())
        {
            stored[(Section.Find(reader.GetString(0))!, reader.GetString(1))] = reader.Bytes(2);
        }

        return stored;
    }

    public byte[]? Stored(string clientId, Section section, string? itemId) =>
        scope.Scalar<byte[]>(
            "SELECT details FROM sections WHERE agency_id = @agency AND client_id = @client AND section = @section AND item_id = @item",
            ("@agency", agencyId), ("@client", clientId), ("@section", section.Name), ("@item", itemId ?? NoItem));

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
        var itemId = (details as ItemDetails)?.IntegrationId ?? NoItem;
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

        scope.Execute(
            """
            INSERT INTO sections (agency_id, client_id, section, item_id, details) VALUES (@agency, @client, @section, @item, @details)
            ON CONFLICT (agency_id, client_id, section, item_id) DO UPDATE SET details = excluded.details
            """, ("@agency", agencyId), ("@client", clientId), ("@section", details.Section.Name), ("@item", itemId), ("@details", bytes));
        var verb = stored is null ? ChangeVerb.Created : ChangeVerb.Updated;
        Append(clientId, details, verb);
        return verb;
    }

    /// <summary>Removes an item (or a client's own section), appending a <c>Removed</c> message with its last state; null when there was nothing.</summary>
    public ChangeVerb? Remove(string clientId, Section section, string? itemId, byte[]? stored = null)
    {
        stored ??= Stored(clientId, section, itemId);
        return stored is null ? null : Delete(clientId, section, itemId ?? NoItem, stored);
    }

    private ChangeVerb Delete(string clientId, Section section, string itemId, byte[] stored)
    {
        scope.Execute(
            "DELETE FROM sections WHERE agency_id = @agency AND client_id = @client AND section = @section AND item_id = @item",
            ("@agency", agencyId), ("@client", clientId), ("@section", section.Name), ("@item", itemId));
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
            scope.Execute(
                "UPDATE clients SET first_name = @first, last_name = @last, search_name = @search WHERE agency_id = @agency AND client_id = @client",
                ("@agency", agencyId), ("@client", clientId),
                ("@first", removed ? null : personal.FirstName), ("@last", removed ? null : personal.LastName),
                ("@search", removed ? null : SearchName(personal.FirstName, personal.LastName)));
        }
        else if (details is AccountDetails account)
        {
            scope.Execute(
                "UPDATE clients SET status = @status, caseload = @caseload, officer = @officer WHERE agency_id = @agency AND client_id = @client",
                ("@agency", agencyId), ("@client", clientId),
                ("@status", removed ? null : account.Status), ("@caseload", removed ? null : account.AssignedCaseload), ("@officer", removed ? null : account.AssignedOfficer));
        }
    }

    /// <summary>What name search matches against: both names, lower-cased, so one query serves every provider.</summary>
    public static string SearchName(string? first, string? last) =>
        $"{first} {last}".Trim().ToLowerInvariant();
}
