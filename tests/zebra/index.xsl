<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:z="http://indexdata.com/zebra-2.0" xmlns:marc="http://www.loc.gov/MARC21/slim">
  <xsl:output indent="yes" method="xml" version="1.0" encoding="UTF-8"/>
  <xsl:template match="text()"/>
  <xsl:template match="/"><xsl:apply-templates select="//marc:record"/></xsl:template>
  <xsl:template match="marc:record">
    <z:record z:id="{normalize-space(marc:controlfield[@tag='001'])}" type="update">
      <z:index name="Local-number:w"><xsl:value-of select="marc:controlfield[@tag='001']"/></z:index>
      <xsl:for-each select="marc:datafield[@tag='245']/marc:subfield[@code='a' or @code='b']">
        <z:index name="Title:w"><xsl:value-of select="."/></z:index>
      </xsl:for-each>
      <xsl:for-each select="marc:datafield[@tag='100' or @tag='700']/marc:subfield[@code='a']">
        <z:index name="Author:w"><xsl:value-of select="."/></z:index>
      </xsl:for-each>
      <xsl:for-each select="marc:datafield[@tag='020']/marc:subfield[@code='a']">
        <z:index name="ISBN:w"><xsl:value-of select="."/></z:index>
      </xsl:for-each>
      <xsl:for-each select="marc:datafield[@tag='022']/marc:subfield[@code='a']">
        <z:index name="ISSN:w"><xsl:value-of select="."/></z:index>
      </xsl:for-each>
      <xsl:for-each select="marc:datafield[@tag='035']/marc:subfield[@code='a']">
        <z:index name="Identifier-standard:w"><xsl:value-of select="."/></z:index>
      </xsl:for-each>
    </z:record>
  </xsl:template>
</xsl:stylesheet>
