using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Caseline.Server.Storage.Postgres;

/// <summary>
/// The Data Protection key ring in the shared database, so that every process reads the tokens and webhook
/// secrets any other protected. Keys are written once and never changed (Data Protection revokes by adding an element).
/// </summary>
internal sealed class DatabaseKeyRepository(PostgresDatabase database) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = database.OpenReader();
        using var command = connection.Command("SELECT xml FROM data_protection_keys ORDER BY name");
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            elements.Add(XElement.Parse(reader.GetString(0)));
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = database.OpenWriter();
        connection.Execute(
            "INSERT INTO data_protection_keys (name, xml) VALUES (@name, @xml) ON CONFLICT (name) DO NOTHING",
            null, ("@name", friendlyName), ("@xml", element.ToString(SaveOptions.DisableFormatting)));
    }
}
