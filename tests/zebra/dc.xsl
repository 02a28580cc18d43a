<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:marc="http://www.loc.gov/MARC21/slim" xmlns:srw_dc="info:srw/schema/1/dc-schema"
    xmlns:dc="http://purl.org/dc/elements/1.1/">
  <xsl:output indent="yes" method="xml" version="1.0" encoding="UTF-8"/>
  <xsl:template match="/"><xsl:apply-templates select="//marc:record"/></xsl:template>
  <xsl:template match="marc:record">
    <srw_dc:dc>
      <dc:title><xsl:value-of select="marc:datafield[@tag='245']/marc:subfield[@code='a']"/></dc:title>
      <xsl:for-each select="marc:datafield[@tag='100']/marc:subfield[@code='a']"><dc:creator><xsl:value-of select="."/></dc:creator></xsl:for-each>
      <xsl:for-each select="marc:datafield[@tag='020']/marc:subfield[@code='a']"><dc:identifier>URN:ISBN:<xsl:value-of select="."/></dc:identifier></xsl:for-each>
      <xsl:for-each select="marc:datafield[@tag='022']/marc:subfield[@code='a']"><dc:identifier>URN:ISSN:<xsl:value-of select="."/></dc:identifier></xsl:for-each>
    </srw_dc:dc>
  </xsl:template>
</xsl:stylesheet>
