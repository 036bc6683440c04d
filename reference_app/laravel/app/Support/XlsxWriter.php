<?php

namespace App\Support;

use RuntimeException;
use ZipArchive;

/**
 * A minimal .xlsx (Office Open XML) workbook: sheets of strings and numbers, a bold header row.
 *
 * Debian ships no PhpSpreadsheet; a workbook is a zip of a few XML parts, so
 * the fixed parts come from resources/xlsx and only the sheets are written
 * here, with inline strings (no shared-strings table to keep in step).
 */
class XlsxWriter
{
    /**
     * @var array<int, array{name: string, rows: array<int, array<int, mixed>>}>
     */
    private array $sheets = [];

    /**
     * @param  array<int, array<int, mixed>>  $rows  the first row is the header
     */
    public function addSheet(string $name, array $rows): void
    {
        $this->sheets[] = ['name' => mb_substr($name, 0, 31), 'rows' => $rows];
    }

    public function contents(): string
    {
        $path = tempnam(sys_get_temp_dir(), 'xlsx');
        $zip = new ZipArchive();
        if ($zip->open($path, ZipArchive::OVERWRITE) !== true) {
            throw new RuntimeException("cannot write {$path}");
        }
        $template = resource_path('xlsx');
        $zip->addFile("{$template}/_rels/.rels", '_rels/.rels');
        $zip->addFile("{$template}/xl/styles.xml", 'xl/styles.xml');
        $zip->addFromString('[Content_Types].xml', $this->contentTypes());
        $zip->addFromString('xl/workbook.xml', $this->workbook());
        $zip->addFromString('xl/_rels/workbook.xml.rels', $this->workbookRelations());
        foreach ($this->sheets as $index => $sheet) {
            $zip->addFromString('xl/worksheets/sheet' . ($index + 1) . '.xml', $this->sheet($sheet['rows']));
        }
        $zip->close();
        $contents = file_get_contents($path);
        unlink($path);

        return $contents;
    }

    private function contentTypes(): string
    {
        $sheets = '';
        foreach (array_keys($this->sheets) as $index) {
            $sheets .= '<Override PartName="/xl/worksheets/sheet' . ($index + 1) . '.xml" '
                . 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>';
        }

        return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            . '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            . '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            . '<Default Extension="xml" ContentType="application/xml"/>'
            . '<Override PartName="/xl/workbook.xml" '
            . 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            . '<Override PartName="/xl/styles.xml" '
            . 'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            . $sheets . '</Types>';
    }

    private function workbook(): string
    {
        $sheets = '';
        foreach ($this->sheets as $index => $sheet) {
            $id = $index + 1;
            $sheets .= '<sheet name="' . $this->escape($sheet['name']) . "\" sheetId=\"{$id}\" r:id=\"rId{$id}\"/>";
        }

        return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            . '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            . 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            . "<sheets>{$sheets}</sheets></workbook>";
    }

    private function workbookRelations(): string
    {
        $relations = '';
        foreach (array_keys($this->sheets) as $index) {
            $id = $index + 1;
            $relations .= "<Relationship Id=\"rId{$id}\" "
                . 'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                . "Target=\"worksheets/sheet{$id}.xml\"/>";
        }
        $styles = count($this->sheets) + 1;

        return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            . '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            . $relations . "<Relationship Id=\"rId{$styles}\" "
            . 'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            . 'Target="styles.xml"/></Relationships>';
    }

    /**
     * @param  array<int, array<int, mixed>>  $rows
     */
    private function sheet(array $rows): string
    {
        $xml = '';
        foreach ($rows as $r => $row) {
            $number = $r + 1;
            $style = $r === 0 ? ' s="1"' : '';
            $xml .= "<row r=\"{$number}\">";
            foreach (array_values($row) as $c => $value) {
                $ref = $this->column($c) . $number;
                if ($value === null) {
                    continue;
                }
                if (is_int($value) || is_float($value)) {
                    $xml .= "<c r=\"{$ref}\"{$style}><v>{$value}</v></c>";
                } else {
                    $xml .= "<c r=\"{$ref}\"{$style} t=\"inlineStr\"><is><t>"
                        . $this->escape((string) $value) . '</t></is></c>';
                }
            }
            $xml .= '</row>';
        }

        return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            . '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            . "<sheetData>{$xml}</sheetData></worksheet>";
    }

    private function column(int $index): string
    {
        $name = '';
        for ($index++; $index > 0; $index = intdiv($index - 1, 26)) {
            $name = chr(65 + ($index - 1) % 26) . $name;
        }

        return $name;
    }

    private function escape(string $text): string
    {
        return htmlspecialchars($text, ENT_XML1 | ENT_QUOTES, 'UTF-8');
    }
}
